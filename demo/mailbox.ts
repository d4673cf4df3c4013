import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import type { MailMessage, MailSendInfo, MailTransport, RawMailMessage } from '../src/backends/email/index.ts';

/** One email the demo "sent": kept in memory and shown by the mail viewer. */
export interface CapturedMail {
  /** 1, 2, 3… in the order the mails arrived. */
  readonly id: number;
  readonly receivedAt: Date;
  /** The From header as written, e.g. `"Vox demo blog" <blog@example.org>`. */
  readonly from: string;
  /** Every address the mail was delivered to (the envelope: To and Bcc alike). */
  readonly to: readonly string[];
  readonly subject: string;
  readonly html: string | undefined;
  readonly text: string | undefined;
  readonly attachments: readonly CapturedAttachment[];
  /** Header lines as they appear in the message. */
  readonly headers: readonly string[];
  /** The whole message as it would have gone over SMTP. */
  readonly source: Buffer;
}

export interface CapturedAttachment {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Buffer;
}

/**
 * A Nodemailer stream transport that keeps every message instead of sending it, so that the demo
 * needs no mail server and nobody has to read raw MIME: the mail viewer shows what arrived.
 */
export class Mailbox {
  readonly #mails: CapturedMail[] = [];
  readonly #waiting = new Set<() => void>();
  readonly #stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  readonly #log: (line: string) => void;

  /** Give this to Vox's email backends. */
  readonly transport: MailTransport = { sendMail: (mail) => this.#capture(mail) };

  constructor(log: (line: string) => void = () => {}) {
    this.#log = log;
  }

  /** Newest first. */
  list(): CapturedMail[] {
    return [...this.#mails].reverse();
  }

  get(id: number): CapturedMail | undefined {
    return this.#mails.find((m) => m.id === id);
  }

  get size(): number {
    return this.#mails.length;
  }

  /** Resolves with the first mail (already arrived or yet to come) that matches. */
  waitFor(match: (mail: CapturedMail) => boolean, timeoutMs = 10_000): Promise<CapturedMail> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.#mails.find(match);
        if (!found) return;
        this.#waiting.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.#waiting.delete(check);
        reject(new Error(`no matching mail arrived within ${timeoutMs} ms; the mailbox holds: ${this.#mails.map((m) => `${m.to.join(', ')}: ${m.subject}`).join(' | ') || 'nothing'}`));
      }, timeoutMs);
      this.#waiting.add(check);
      check();
    });
  }

  async #capture(mail: MailMessage | RawMailMessage): Promise<MailSendInfo> {
    const info = await this.#stream.sendMail(mail);
    const source = Buffer.isBuffer(info.message) ? info.message : Buffer.from(await info.message.toArray());
    const parsed = await simpleParser(source);
    const captured: CapturedMail = {
      id: this.#mails.length + 1,
      receivedAt: new Date(),
      from: parsed.from?.text ?? '',
      to: info.envelope.to,
      subject: parsed.subject ?? '',
      html: parsed.html === false ? undefined : parsed.html,
      text: parsed.text,
      attachments: parsed.attachments.map((a, i) => ({ filename: a.filename ?? `attachment-${i + 1}`, contentType: a.contentType, content: a.content })),
      headers: parsed.headerLines.map((h) => h.line),
      source,
    };
    this.#mails.push(captured);
    this.#log(`mail → ${captured.to.join(', ')}: ${captured.subject}`);
    for (const check of [...this.#waiting]) check();
    return { messageId: info.messageId };
  }
}
