import type { Socket } from 'node:net';
import { after, before, beforeEach } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import type { MailTransport } from '../../src/backends/email/index.ts';

/** A reply the test server gives to one RCPT TO, for example 550 or 421. */
export interface SmtpReply {
  readonly code: number;
  readonly message: string;
}

/** A mail as it reached the server: envelope and parsed content. */
export interface ReceivedMail {
  readonly envelopeFrom: string;
  readonly envelopeTo: readonly string[];
  readonly parsed: ParsedMail;
  /** The message's source as it arrived, for checks such as DKIM signatures. */
  readonly raw: Buffer;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, parsed with mailparser. */
export interface TestSmtp {
  readonly port: number;
  /** Mails the server accepted. */
  readonly received: ReceivedMail[];
  /** Every mail the server read to its final dot, accepted or refused with {@link TestSmtp.refuseData}. */
  readonly offered: ReceivedMail[];
  /** A Nodemailer SMTP transport pointed at this server. */
  readonly transport: MailTransport;
  /** Decide the reply to each recipient; undefined accepts. */
  refuse(rule: ((address: string, acceptedBefore: readonly string[]) => SmtpReply | undefined) | undefined): void;
  /**
   * Misbehave on a mail, by its number (counting from 1, every DATA the server starts): `hang`
   * reads it and never answers the final dot, `drop` cuts the connection in the middle of it.
   */
  misbehave(rule: ((number: number) => 'hang' | 'drop' | undefined) | undefined): void;
  /** Decide the reply to a whole mail after its final dot (its number counts from 1); undefined accepts. */
  refuseData(rule: ((mail: ReceivedMail, number: number) => SmtpReply | undefined) | undefined): void;
  close(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Where to listen, say a port where a server used to be. @default any free port */
  readonly port?: number;
  /** Options of the Nodemailer transport, such as short timeouts. @default a pool */
  readonly transport?: Record<string, unknown>;
}

export async function startSmtp(options: TestSmtpOptions = {}): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  let started = 0;
  let misbehaviour: ((number: number) => 'hang' | 'drop' | undefined) | undefined;
  const offered: ReceivedMail[] = [];
  let dataRule: ((mail: ReceivedMail, number: number) => SmtpReply | undefined) | undefined;
  let rule: ((address: string, acceptedBefore: readonly string[]) => SmtpReply | undefined) | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, session, callback) {
      const reply = rule?.(address.address, session.envelope.rcptTo.map((r) => r.address));
      if (!reply) return callback();
      const error = Object.assign(new Error(reply.message), { responseCode: reply.code });
      return callback(error);
    },
    onData(stream, session, callback) {
      const whim = misbehaviour?.(++started);
      if (whim === 'hang') return void stream.resume();
      if (whim === 'drop') {
        stream.once('data', () => {
          for (const socket of sockets) socket.destroy();
        });
        return void stream.resume();
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      new Promise<Buffer>((resolve, reject) => stream.once('end', () => resolve(Buffer.concat(chunks))).once('error', reject))
        .then(async (raw) => {
          const mail = {
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            parsed: await simpleParser(raw),
            raw,
          };
          offered.push(mail);
          const reply = dataRule?.(mail, offered.length);
          if (reply) return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
          received.push(mail);
          callback();
        })
        .catch(callback);
    },
  });
  server.on('error', () => {});
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, ...(options.transport ?? { pool: true }) });
  return {
    port,
    received,
    offered,
    transport,
    refuse(next) {
      rule = next;
    },
    refuseData(next) {
      dataRule = next;
    },
    misbehave(next) {
      misbehaviour = next;
    },
    async close() {
      transport.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Text of an address field of a parsed mail, e.g. `"Ann" <ann@example.org>`. */
export function addressesOf(field: ParsedMail['to'] | ParsedMail['from']): string[] {
  if (!field) return [];
  const list = Array.isArray(field) ? field : [field];
  return list.flatMap((a) => a.value.map((v) => v.address ?? ''));
}

/**
 * Starts a test SMTP server for the enclosing suite and closes it after; call the result for it.
 * Each test starts with no mail received and every recipient accepted.
 */
export function smtpForSuite(): () => TestSmtp {
  let smtp: TestSmtp | undefined;
  before(async () => {
    smtp = await startSmtp();
  });
  beforeEach(() => {
    smtp?.refuse(undefined);
    smtp?.refuseData(undefined);
    smtp?.misbehave(undefined);
    smtp?.received.splice(0);
    smtp?.offered.splice(0);
  });
  after(async () => {
    await smtp?.close();
  });
  return () => {
    if (!smtp) throw new Error('the test SMTP server is not started yet');
    return smtp;
  };
}
