import { createHash } from 'node:crypto';
import { compile } from 'html-to-text';
import type { Backend, BackendCapabilities, ContentFormat, MessagePayload, OutboundMessage, RenderedTemplate, SendResult } from '../backend.ts';
import { DeliveryError, ErrorCode, VoxError } from '../../errors.ts';
import { emailAddressProblem } from '../addresses.ts';
import { invalidAddress } from '../send.ts';

/** An address as Nodemailer takes it. */
export interface MailAddress {
  readonly name: string;
  readonly address: string;
}

/**
 * The mail Vox hands to a transport: the slice of Nodemailer's `SendMailOptions` it uses. Arrays
 * are mutable so that a Nodemailer transport is assignable to {@link MailTransport} as it is.
 */
export interface MailMessage {
  from: string;
  /** One recipient; a message to several (bulk) uses `bcc`, so recipients never see each other. */
  to?: MailAddress[];
  bcc?: MailAddress[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: { filename: string; contentType: string; content: Buffer }[];
  headers?: Record<string, string>;
  /** The Message-ID header, angle brackets included. */
  messageId?: string;
}

/** What a transport reports; Nodemailer's `SentMessageInfo` has these fields. */
export interface MailSendInfo {
  readonly messageId?: string;
  readonly rejected?: readonly (string | { readonly address: string })[];
  readonly rejectedErrors?: readonly (Error & { readonly recipient?: string; readonly responseCode?: number })[];
}

/** Any Nodemailer transport (`nodemailer.createTransport(...)`), or anything with the same `sendMail`. */
export interface MailTransport {
  sendMail(mail: MailMessage): Promise<MailSendInfo>;
}

/** Options shared by the email backends. */
export interface EmailBackendOptions {
  /** Where mail goes: a Nodemailer transport. */
  readonly transport: MailTransport;
  /** From address when a template sets none, e.g. `"Blog" <blog@example.org>`. */
  readonly from?: string;
  /** Override the backend id, to configure two of the same kind. */
  readonly id?: string;
  /** Override the label shown in the admin. */
  readonly label?: string;
}

const EMAIL_CAPABILITIES: BackendCapabilities = { subject: true, fromAddress: true, attachments: true, manualSending: true };

/** HTML to its plain-text alternative. Compiled once: compiling html-to-text's selectors per message is costly. */
export const htmlToText: (html: string) => string = compile({ wordwrap: 78, selectors: [{ selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] });

/** Builds an email backend from how it composes a rendered template; sending is shared. */
export function emailBackend(
  defaults: { id: string; label: string; format: ContentFormat },
  options: EmailBackendOptions,
  compose: (rendered: RenderedTemplate) => MessagePayload,
): Backend {
  if (!options?.transport || typeof options.transport.sendMail !== 'function') {
    throw new VoxError(ErrorCode.configuration, `email backend ${options?.id ?? defaults.id} needs a Nodemailer transport: { transport: nodemailer.createTransport(...) }`);
  }
  const backend: Backend = {
    id: options.id ?? defaults.id,
    protocol: 'email',
    label: options.label ?? defaults.label,
    format: defaults.format,
    capabilities: EMAIL_CAPABILITIES,
    compose,
    validateAddress: emailAddressProblem,
    send: (message) => sendMail(backend, options, message),
  };
  return backend;
}

async function sendMail(sender: Backend, options: EmailBackendOptions, message: OutboundMessage): Promise<SendResult> {
  const backend = sender.id;
  const from = message.from ?? options.from;
  if (!from) {
    throw new DeliveryError('no from address: set one on the template or the backend option `from`', { backend, permanent: true, providerCode: 'ENOFROM' });
  }
  // Malformed addresses are refused here, one by one, rather than failing the whole mail at the server.
  const invalid = message.to.flatMap((c) => {
    const error = invalidAddress(sender, c);
    return error ? [{ address: c.address, error }] : [];
  });
  const to = message.to.filter((c) => !invalid.some((r) => r.address === c.address));
  if (to.length === 0) {
    throw invalid[0]?.error ?? new DeliveryError('the message has no recipients', { backend, permanent: true, providerCode: 'ENORECIPIENTS' });
  }
  const { payload } = message;
  const addresses = to.map((c) => ({ name: c.name, address: c.address }));
  let info: MailSendInfo;
  try {
    info = await options.transport.sendMail({
      from,
      ...(addresses.length === 1 ? { to: addresses } : { bcc: addresses }),
      subject: payload.subject ?? '',
      ...(payload.text === undefined ? {} : { text: payload.text }),
      ...(payload.html === undefined ? {} : { html: payload.html }),
      ...(payload.attachments?.length
        ? { attachments: payload.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64') })) }
        : {}),
      headers: { 'X-Vox-Message-Key': message.idempotencyKey },
      messageId: messageIdOf(message.idempotencyKey, from),
    });
  } catch (error) {
    throw smtpError(backend, error);
  }
  const rejectedErrors = info.rejectedErrors ?? [];
  const rejected = [...invalid, ...(info.rejected ?? []).map((r) => {
    const address = typeof r === 'string' ? r : r.address;
    const cause = rejectedErrors.find((e) => e.recipient === address);
    return { address, error: smtpError(backend, cause ?? new Error(`${address} was refused`)) };
  })];
  return { ...(info.messageId ? { providerMessageId: info.messageId } : {}), ...(rejected.length ? { rejected } : {}) };
}

/**
 * The Message-ID of a message: derived from its idempotency key, so that a retry, a resend or a
 * crashed worker's repeat carries the same Message-ID as the first attempt, and mail servers and
 * clients that recognise duplicates by it do.
 */
export function messageIdOf(idempotencyKey: string, from: string): string {
  const domain = /@([^@\s>]+)>?\s*$/.exec(from)?.[1] ?? 'vox.invalid';
  return `<vox.${createHash('sha256').update(idempotencyKey).digest('base64url').slice(0, 32)}@${domain}>`;
}

/** SMTP replies 5xx are permanent; 4xx, timeouts and dropped connections are worth a retry. */
function smtpError(backend: string, error: unknown): DeliveryError {
  const e = (error ?? {}) as { message?: string; responseCode?: number; code?: string; response?: string };
  const statusCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent = statusCode !== undefined && statusCode >= 500 && statusCode < 600;
  return new DeliveryError(e.response ?? e.message ?? String(error), {
    backend,
    permanent,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(e.code ? { providerCode: e.code } : {}),
    ...(e.response ? { responseBody: e.response } : {}),
    cause: error,
  });
}
