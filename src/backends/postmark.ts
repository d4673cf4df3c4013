/** The Postmark template backend: a template alias and its model, sent through Postmark's API. */
import { DeliveryError, ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { Contact } from '../vocabulary/contact.ts';
import type { Backend, BackendCapabilities } from '../vocabulary/backend.ts';
import { unsubscribeHeaders, type OutboundMessage, type SendResult } from '../vocabulary/payload.ts';
import { emailAddressKey, emailAddressProblem } from './addresses.ts';
import { parseFields } from './fields.ts';
import { DEFAULT_TIMEOUT_MS, httpRequest, isTransientStatus, jsonOf, type HttpReply } from './http.ts';
import { emailSender, invalidAddress } from './send.ts';

/** Options of {@link postmarkTemplate}. */
export interface PostmarkOptions {
  /** Server API token (the seed's DJANGO_VOX_POSTMARK_TOKEN). */
  readonly token: string;
  /** From address when a template sets none; it must be a confirmed Postmark sender signature. */
  readonly from?: string;
  /** Message stream to send through. @default Postmark's default transactional stream, `outbound` */
  readonly messageStream?: string;
  /** The API's origin; tests point it at a local server. @default 'https://api.postmarkapp.com' */
  readonly baseUrl?: string;
  /** Milliseconds to wait for Postmark. @default 15000 */
  readonly timeoutMs?: number;
  /** @default 'postmark-template' */
  readonly id?: string;
  /** @default 'Postmark template' */
  readonly label?: string;
}

/** Postmark's batch endpoint takes up to 500 messages. */
const BATCH_LIMIT = 500;
const CAPABILITIES: BackendCapabilities = { subject: true, fromAddress: true, attachments: true, manualSending: true, maxRecipients: BATCH_LIMIT, editor: 'fields' };

/** One message as Postmark's template endpoints take it. */
interface PostmarkMessage {
  readonly From: string;
  readonly To: string;
  readonly TemplateAlias: string;
  readonly TemplateModel: Readonly<Record<string, unknown>>;
  readonly MessageStream?: string;
  readonly Headers: readonly { readonly Name: string; readonly Value: string }[];
  readonly Attachments?: readonly { readonly Name: string; readonly Content: string; readonly ContentType: string }[];
}

/** Postmark's answer for one message. */
interface PostmarkResult {
  readonly ErrorCode?: number;
  readonly Message?: string;
  readonly MessageID?: string;
}

/**
 * Email through Postmark's templates (`postmark-template`, protocol `email`). The template's
 * subject is the Postmark template alias; its content is `key: value` lines, sent as the
 * template model:
 *
 * ```
 * title: {{ object.title }}
 * name: {{ recipient.name }}
 * ```
 *
 * A bulk message goes out as one batch request, a separate email per address. Postmark's error
 * code and message are what the log shows of a failure.
 *
 * @example
 * postmarkTemplate({ token: process.env.POSTMARK_TOKEN, from: 'blog@example.org' })
 */
export function postmarkTemplate(options: PostmarkOptions): Backend {
  const id = options?.id ?? 'postmark-template';
  if (!options?.token) throw new VoxError(ErrorCode.configuration, `backend ${id} needs token: the server API token from Postmark`);
  const base = (options.baseUrl ?? 'https://api.postmarkapp.com').replace(/\/$/, '');
  const backend: Backend = {
    id,
    protocol: 'email',
    label: options.label ?? 'Postmark template',
    format: 'fields',
    capabilities: CAPABILITIES,
    ...(options.from === undefined ? {} : { defaultFrom: options.from }),
    compose: ({ subject, parts }) => {
      if (subject.trim() === '') throw new VoxError(ErrorCode.render, 'the subject is empty: for Postmark it is the template alias');
      return { subject: subject.trim(), data: parseFields(parts.fields ?? '') };
    },
    validateAddress: emailAddressProblem,
    addressKey: emailAddressKey,
    send: (message) => send(backend, options, base, message),
  };
  return backend;
}

async function send(backend: Backend, options: PostmarkOptions, base: string, message: OutboundMessage): Promise<SendResult> {
  const from = emailSender(backend, message, options.from);
  const rejected: { address: string; error: DeliveryError }[] = [];
  const valid: Contact[] = [];
  for (const contact of message.to) {
    const invalid = invalidAddress(backend, contact);
    if (invalid) rejected.push({ address: contact.address, error: invalid });
    else valid.push(contact);
  }
  if (valid.length === 0) {
    throw rejected[0]?.error ?? new DeliveryError('the message has no recipients', { backend: backend.id, permanent: true, providerCode: 'ENORECIPIENTS' });
  }
  const { payload } = message;
  const messages: PostmarkMessage[] = valid.map((contact) => ({
    From: from,
    To: mailbox(contact),
    TemplateAlias: payload.subject ?? '',
    TemplateModel: payload.data ?? {},
    ...(options.messageStream ? { MessageStream: options.messageStream } : {}),
    Headers: Object.entries({ 'X-Vox-Message-Key': message.idempotencyKey, ...unsubscribeHeaders(payload.unsubscribe) }).map(([Name, Value]) => ({ Name, Value })),
    ...(payload.attachments?.length ? { Attachments: payload.attachments.map((a) => ({ Name: a.filename, Content: a.contentBase64, ContentType: a.contentType })) } : {}),
  }));
  const single = messages.length === 1;
  const reply = await httpRequest(backend.id, {
    url: `${base}/email/${single ? 'withTemplate' : 'batchWithTemplates'}`,
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-Postmark-Server-Token': options.token },
    body: JSON.stringify(single ? messages[0] : { Messages: messages }),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  const body = jsonOf(reply);
  if (reply.status !== 200) throw postmarkError(backend.id, reply, body as PostmarkResult | undefined);
  const results: PostmarkResult[] = single ? [body as PostmarkResult] : Array.isArray(body) ? (body as PostmarkResult[]) : [];
  const ids: string[] = [];
  valid.forEach((contact, index) => {
    const result = results[index];
    if (result && (result.ErrorCode ?? 0) === 0 && result.MessageID) ids.push(result.MessageID);
    else rejected.push({ address: contact.address, error: postmarkError(backend.id, reply, result) });
  });
  if (ids.length === 0) throw rejected.find((r) => !r.error.permanent)?.error ?? (rejected[0] as { error: DeliveryError }).error;
  return { providerMessageId: ids.join(' '), ...(rejected.length > 0 ? { rejected } : {}) };
}

/** Postmark's error code and message as a delivery failure; HTTP 429 and 5xx are transient. */
function postmarkError(backend: string, reply: HttpReply, result: PostmarkResult | undefined): DeliveryError {
  const code = typeof result?.ErrorCode === 'number' ? result.ErrorCode : undefined;
  const text = typeof result?.Message === 'string' ? result.Message : reply.body.slice(0, 200) || 'no reply body';
  return new DeliveryError(`Postmark${code === undefined ? '' : ` error ${code}`}: ${text}`, {
    backend,
    permanent: !isTransientStatus(reply.status),
    statusCode: reply.status,
    ...(code === undefined ? {} : { providerCode: String(code) }),
    responseBody: result === undefined ? reply.body : JSON.stringify(result),
  });
}

/** `"Name" <address>`, or the bare address when there is no name. */
function mailbox(contact: Contact): string {
  return contact.name.trim() === '' ? contact.address : `"${contact.name.replace(/["\\]/g, '\\$&').replace(/[\r\n]+/g, ' ')}" <${contact.address}>`;
}
