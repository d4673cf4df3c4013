// What an email backend hands its transport, built from a message.
import { createHash, randomBytes } from 'node:crypto';
import { encode as base64Encode, wrap as base64Wrap } from 'nodemailer/lib/base64';
import MailComposer from 'nodemailer/lib/mail-composer';
import { foldLines, hasLongerLines, isPlainText } from 'nodemailer/lib/mime-funcs';
import MimeNode from 'nodemailer/lib/mime-node';
import { encode as qpEncode, wrap as qpWrap } from 'nodemailer/lib/qp';
import type { Backend } from '../../vocabulary/backend.ts';
import { unsubscribeHeaders, type OutboundMessage } from '../../vocabulary/payload.ts';
import { DeliveryError } from '../../vocabulary/errors.ts';
import { emailSender, invalidAddress } from '../send.ts';

/** An address as Nodemailer takes it. */
export interface MailAddress {
  readonly name: string;
  readonly address: string;
}

/**
 * The mail Vox hands to a transport: the slice of Nodemailer's `SendMailOptions` it uses. Arrays
 * are mutable so that a Nodemailer transport is assignable to `MailTransport` as it is.
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
  /** Options a Nodemailer transport's DKIM signer takes for this message where the transport sets none: see {@link DKIM_HEADER_FIELDS}. */
  _dkim?: { headerFieldNames: string };
}

/** A message whose MIME source Vox built already, as Nodemailer's `sendMail` takes it: `raw` as it is, to `envelope`. */
export interface RawMailMessage {
  envelope: { from: string; to: string[] };
  raw: string;
  /** The Message-ID header inside `raw`, so that the transport reports it (and need not make one up). */
  messageId: string;
  _dkim?: { headerFieldNames: string };
}

/**
 * The headers a DKIM signature of a message with unsubscribe headers covers: Nodemailer's default
 * list and `List-Unsubscribe-Post`, which RFC 8058 requires to be signed (mail clients offer
 * one-click unsubscribe only then) and Nodemailer's default leaves out. A transport's own
 * `dkim.headerFieldNames` wins; {@link dkimProblem} checks it at start-up.
 */
export const DKIM_HEADER_FIELDS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding',
  'Content-ID', 'Content-Description', 'Resent-Date', 'Resent-From', 'Resent-Sender', 'Resent-To', 'Resent-Cc', 'Resent-Message-ID',
  'In-Reply-To', 'References', 'List-Id', 'List-Help', 'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe', 'List-Post',
  'List-Owner', 'List-Archive',
].join(':');

/**
 * Why a transport's DKIM settings would leave the unsubscribe headers unsigned (its own
 * `headerFieldNames` without them, or `skipFields` with them), or undefined.
 */
export function dkimProblem(transport: unknown): string | undefined {
  const dkim = (transport as { options?: { dkim?: { headerFieldNames?: unknown; skipFields?: unknown } } } | null)?.options?.dkim;
  if (!dkim) return undefined;
  const fields = (value: unknown) => (typeof value === 'string' ? value.toLowerCase().split(':').map((f) => f.trim()) : []);
  const needed = ['list-unsubscribe', 'list-unsubscribe-post'];
  const listed = fields(dkim.headerFieldNames);
  if (listed.length > 0 && needed.some((f) => !listed.includes(f))) return 'its dkim.headerFieldNames must include List-Unsubscribe and List-Unsubscribe-Post, which RFC 8058 requires to be signed';
  if (needed.some((f) => fields(dkim.skipFields).includes(f))) return 'its dkim.skipFields must not skip List-Unsubscribe or List-Unsubscribe-Post, which RFC 8058 requires to be signed';
  return undefined;
}

/**
 * Random hex for multipart boundaries, cut from a pool refilled 4 KB at a time: a call to the
 * system's random source per MIME part (Nodemailer's default) costs more than building the part.
 */
const randomPool = { bytes: Buffer.alloc(0), offset: 0 };
function randomHex(length: number): string {
  if (randomPool.offset + length > randomPool.bytes.length) {
    randomPool.bytes = randomBytes(4096);
    randomPool.offset = 0;
  }
  randomPool.offset += length;
  return randomPool.bytes.toString('hex', randomPool.offset - length, randomPool.offset);
}

/**
 * The mail for a message, and the addresses refused before sending because they are no email
 * addresses (each fails on its own rather than the whole mail failing at the server). Throws
 * when nothing can be sent: no from address, or no valid recipient.
 */
export function mailOf(message: OutboundMessage, sender: Pick<Backend, 'id' | 'validateAddress'>, defaultFrom: string | undefined): { mail: MailMessage; invalid: { address: string; error: DeliveryError }[] } {
  const backend = sender.id;
  const from = emailSender(sender, message, defaultFrom);
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
  const mail: MailMessage = {
    from,
    ...(addresses.length === 1 ? { to: addresses } : { bcc: addresses }),
    subject: payload.subject ?? '',
    ...(payload.text === undefined ? {} : { text: payload.text }),
    ...(payload.html === undefined ? {} : { html: payload.html }),
    ...(payload.attachments?.length
      ? { attachments: payload.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.contentBase64, 'base64') })) }
      : {}),
    headers: { 'X-Vox-Message-Key': message.idempotencyKey, ...unsubscribeHeaders(payload.unsubscribe) },
    messageId: messageIdOf(message.idempotencyKey, from),
    ...(payload.unsubscribe ? { _dkim: { headerFieldNames: DKIM_HEADER_FIELDS } } : {}),
  };
  return { mail, invalid };
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

/** Line length of encoded bodies, as Nodemailer's encoders wrap them. */
const LINE_LENGTH = 76;

/**
 * The message's MIME source, SMTP envelope and Message-ID. Nodemailer's composer makes the MIME tree, so
 * headers, encodings and structure are the ones `sendMail` would produce; the tree is written out
 * here in one synchronous pass instead of through Nodemailer's chain of streams, which costs
 * several times more CPU for a small message. Content Vox does not hold in memory (a stream, a
 * path or a URL) is not supported: Vox's payloads never carry any.
 */
export function buildMail(mail: MailMessage): RawMailMessage {
  const built = alternativeOf(mail) ?? composed(mail);
  return { ...built, raw: crlf(built.raw), ...(mail._dkim ? { _dkim: mail._dkim } : {}) };
}

/**
 * The source with every line break as CRLF, the only one a mail may hold (RFC 5322, 2.3).
 * Nodemailer's composer keeps the bodies' line breaks as written (a template's are LF), and its
 * SMTP connection mends each on the way out, a buffer per line; the bytes sent are the same.
 */
function crlf(source: string): string {
  return source.replace(/\r\n?|\n/g, '\r\n');
}

function composed(mail: MailMessage): RawMailMessage {
  // One random boundary base for all parts, as Nodemailer would draw for each.
  const root = new MailComposer({ ...mail, baseBoundary: randomHex(8) }).compile();
  const envelope = root.getEnvelope();
  const parts: string[] = [];
  writeNode(root, parts);
  let raw = parts.join('');
  // Nodemailer ends every message with a line break.
  if (!raw.endsWith('\n')) raw += raw.endsWith('\r') ? '\n' : '\r\n';
  return { envelope: { from: envelope.from || '', to: envelope.to }, raw, messageId: root.messageId() };
}

function writeNode(node: MimeNode, out: string[]): void {
  out.push(node.buildHeaders(), '\r\n\r\n');
  const { content } = node;
  if (content) {
    if (typeof content !== 'string' && !Buffer.isBuffer(content)) throw new Error('buildMail takes content held in memory only (a string or a Buffer)');
    const encoding = node.getTransferEncoding();
    if (encoding === 'base64') out.push(base64Wrap(base64Encode(content), LINE_LENGTH));
    else if (encoding === 'quoted-printable') out.push(qpWrap(qpEncode(content), LINE_LENGTH));
    else out.push(typeof content === 'string' ? content : content.toString('utf8'));
  }
  if (node.multipart) {
    node.childNodes.forEach((child, i) => {
      out.push(`${i > 0 ? '\r\n' : ''}--${String(node.boundary)}\r\n`);
      writeNode(child, out);
    });
    out.push(`\r\n--${String(node.boundary)}--\r\n`);
  }
}

/** Nodemailer's MIME node, used only to encode header values as its composer does. */
const encoder = new MimeNode();
const ASCII_ADDRESS = /^[\x21-\x7e]+$/;

/** One header line as Nodemailer writes it, or nothing for an empty value. */
function header(key: string, value: Parameters<MimeNode['encodeHeaderValue']>[1]): string[] {
  const encoded = encoder.encodeHeaderValue(key, value);
  return encoded.trim() ? [foldLines(`${key}: ${encoded}`, LINE_LENGTH)] : [];
}

/** A text part's header lines and body, with the transfer encoding Nodemailer would choose for it. */
function textPart(type: string, content: string): string {
  const sevenBit = isPlainText(content) && !hasLongerLines(content, LINE_LENGTH);
  const encoding = sevenBit ? '7bit' : textEncoding(content) === 'Q' ? 'quoted-printable' : 'base64';
  const body = sevenBit ? content : encoding === 'base64' ? base64Wrap(base64Encode(content), LINE_LENGTH) : qpWrap(qpEncode(content), LINE_LENGTH);
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: ${encoding}\r\n\r\n${body}`;
}

/** Nodemailer's choice between quoted-printable (`Q`) and base64 (`B`): Q when Latin letters outnumber the rest. */
function textEncoding(value: string): 'Q' | 'B' {
  let other = 0;
  let latin = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x08 || code === 0x0b || code === 0x0c || (code >= 0x0e && code <= 0x1f) || code >= 0x80) other++;
    else if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) latin++;
  }
  return other < latin ? 'Q' : 'B';
}

/**
 * The commonest message, an HTML part with its text alternative to one recipient and no
 * attachments, written without building Nodemailer's MIME tree: the same headers (encoded by
 * Nodemailer), boundaries and encodings as {@link composed}, which `mime.test.ts` compares byte for
 * byte. Undefined for any other message.
 */
export function alternativeOf(mail: MailMessage): RawMailMessage | undefined {
  const [to, ...others] = mail.to ?? [];
  if (!to || others.length > 0 || mail.bcc || mail.attachments?.length || !mail.text || !mail.html || !mail.messageId) return undefined;
  const from = /^[^<>"\s]+@[^<>"\s]+$/.test(mail.from) ? mail.from : /^[^<>]*<([^<>"\s]+@[^<>"\s]+)>$/.exec(mail.from)?.[1];
  if (!from || !ASCII_ADDRESS.test(from) || !ASCII_ADDRESS.test(to.address)) return undefined;
  const boundary = `--_NmP-${randomHex(8)}-Part_1`;
  const lines = [
    ...Object.entries(mail.headers ?? {}).flatMap(([key, value]) => header(key, value)),
    ...header('From', mail.from),
    ...header('To', [to]),
    ...header('Subject', mail.subject),
    ...header('Message-ID', mail.messageId),
    `Date: ${new Date().toUTCString().replace(/GMT/, '+0000')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ];
  const raw = `${lines.join('\r\n')}\r\n\r\n--${boundary}\r\n${textPart('text/plain', mail.text)}\r\n--${boundary}\r\n${textPart('text/html', mail.html)}\r\n--${boundary}--\r\n`;
  return { envelope: { from, to: [to.address] }, raw, messageId: mail.messageId };
}
