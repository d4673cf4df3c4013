/** Email backends' shared core: Nodemailer transports, text parts from HTML, sending a built message. */
import { getSystemErrorName } from 'node:util';
import type { Backend, BackendCapabilities } from '../../vocabulary/backend.ts';
import type { ContentFormat } from '../../vocabulary/format.ts';
import type { MessagePayload, OutboundMessage, RenderedTemplate, SendResult } from '../../vocabulary/payload.ts';
import { DeliveryError, ErrorCode, VoxError } from '../../vocabulary/errors.ts';
import { emailAddressKey, emailAddressProblem } from '../addresses.ts';
import { buildMail, dkimProblem, mailOf, type MailMessage, type RawMailMessage } from './mime.ts';

export type { MailAddress, MailMessage, RawMailMessage } from './mime.ts';
export { messageIdOf } from './mime.ts';
export { htmlToText } from './text-part.ts';

/** What a transport reports; Nodemailer's `SentMessageInfo` has these fields. */
export interface MailSendInfo {
  readonly messageId?: string;
  readonly rejected?: readonly (string | { readonly address: string })[];
  readonly rejectedErrors?: readonly (Error & { readonly recipient?: string; readonly responseCode?: number })[];
}

/** Any Nodemailer transport (`nodemailer.createTransport(...)`), or anything with the same `sendMail`. */
export interface MailTransport {
  /** Gets a {@link RawMailMessage} only when the backend's option `raw` is on. */
  sendMail(mail: MailMessage | RawMailMessage): Promise<MailSendInfo>;
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
  /**
   * Build each message's MIME source in Vox and hand the transport the finished message
   * (`{ envelope, raw }`). The source is what Nodemailer would build (its composer makes the MIME
   * tree), written out in one pass rather than through Nodemailer's streams, at a fraction of the
   * CPU. Default: on for Nodemailer transports, which take raw messages; off for other `sendMail`
   * objects, which get the fields of {@link MailMessage}. Turn it off for a Nodemailer transport
   * with `compile` plugins (`transport.use('compile', …)`): they edit a mail's fields, and a raw
   * message has none. DKIM signing and `stream` plugins work either way.
   */
  readonly raw?: boolean;
  /**
   * How long a send may take, from handing the message to the transport to its answer. Past it,
   * the attempt is a transient failure (`ETIMEDOUT`) and the message is retried per the retry
   * policy, so that a server that accepts a message and never answers its final dot cannot hold
   * messages in `sending`. The transport's connection is the transport's own: give Nodemailer a
   * `socketTimeout` no longer than this, so that it also closes a connection that hangs.
   * @default 60000
   */
  readonly timeoutMs?: number;
}

/** Default {@link EmailBackendOptions.timeoutMs}. */
const SEND_TIMEOUT_MS = 60_000;

const EMAIL_CAPABILITIES: BackendCapabilities = { subject: true, fromAddress: true, attachments: true, manualSending: true };


/** Builds an email backend from how it composes a rendered template; sending is shared. */
export function emailBackend(
  defaults: { id: string; label: string; format: ContentFormat },
  options: EmailBackendOptions,
  compose: (rendered: RenderedTemplate) => MessagePayload,
): Backend {
  if (!options?.transport || typeof options.transport.sendMail !== 'function') {
    throw new VoxError(ErrorCode.configuration, `email backend ${options?.id ?? defaults.id} needs a Nodemailer transport: { transport: nodemailer.createTransport(...) }`);
  }
  const dkim = dkimProblem(options.transport);
  if (dkim) throw new VoxError(ErrorCode.configuration, `email backend ${options.id ?? defaults.id}: ${dkim}`);
  const raw = options.raw ?? isNodemailer(options.transport);
  const backend: Backend = {
    id: options.id ?? defaults.id,
    protocol: 'email',
    label: options.label ?? defaults.label,
    format: defaults.format,
    capabilities: EMAIL_CAPABILITIES,
    ...(options.from === undefined ? {} : { defaultFrom: options.from }),
    compose,
    validateAddress: emailAddressProblem,
    addressKey: emailAddressKey,
    send: (message) => sendMail(backend, options, raw, message),
  };
  return backend;
}

/** Nodemailer's transports (a `Mail` object) carry the transporter they send through. */
function isNodemailer(transport: MailTransport): boolean {
  const transporter = (transport as { transporter?: { send?: unknown } }).transporter;
  return typeof transporter?.send === 'function';
}

async function sendMail(sender: Backend, options: EmailBackendOptions, raw: boolean, message: OutboundMessage): Promise<SendResult> {
  const backend = sender.id;
  const { mail, invalid } = mailOf(message, sender, options.from);
  let info: MailSendInfo;
  const timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`the transport did not answer within ${timeoutMs} ms (option timeoutMs)`), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    info = await Promise.race([options.transport.sendMail(raw ? buildMail(mail) : mail), deadline]);
  } catch (error) {
    throw smtpError(backend, error);
  } finally {
    clearTimeout(timer);
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
 * SMTP replies 5xx are permanent; 4xx, timeouts and dropped connections are worth a retry. A
 * socket error keeps the system's code (`ECONNREFUSED`, `ECONNRESET`, …) rather than Nodemailer's
 * catch-all `ESOCKET`, so that the log says what happened.
 */
function smtpError(backend: string, error: unknown): DeliveryError {
  const e = (error ?? {}) as { message?: string; responseCode?: number; code?: string; response?: string; errno?: unknown; syscall?: unknown };
  const statusCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const permanent = statusCode !== undefined && statusCode >= 500 && statusCode < 600;
  const code = e.code === 'ESOCKET' && typeof e.syscall === 'string' && typeof e.errno === 'number' ? systemErrorName(e.errno) ?? e.code : e.code;
  return new DeliveryError(e.response ?? e.message ?? String(error), {
    backend,
    permanent,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(code ? { providerCode: code } : {}),
    ...(e.response ? { responseBody: e.response } : {}),
    cause: error,
  });
}

/** `ECONNREFUSED` for -111 on Linux: the name of a system error number, if it has one. */
function systemErrorName(errno: number): string | undefined {
  try {
    return getSystemErrorName(errno);
  } catch {
    return undefined;
  }
}
