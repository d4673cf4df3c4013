/**
 * What the delivery-feedback tests share: a relay in front of a provider's stand-in that lets a
 * test post a report between the provider's answer and Vox's sent record (the report that
 * arrives first), and a message's state as a user reads it (status, history, suppression list).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { contact, createVox, type Backend, type DatabaseOptions, type Vox } from '../../src/index.ts';
import type { MailTransport } from '../../src/backends/email/index.ts';
import type { TestDatabase } from './databases.ts';
import type { TestSmtp } from './smtp.ts';

/** A relay: forwards every request to `target` and, before answering, hands the answer to `beforeAnswer`. */
export interface Relay {
  readonly baseUrl: string;
  /** Runs once the provider answered and before Vox hears the answer; unset to relay plainly. */
  beforeAnswer: ((body: string) => Promise<void>) | undefined;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const relay: Relay = {
    baseUrl: '',
    beforeAnswer: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([name, value]) => typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
      const answer = await fetch(target + (request.url ?? '/'), { method: request.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      const body = await answer.text();
      if (relay.beforeAnswer) await relay.beforeAnswer(body);
      response.writeHead(answer.status, { 'Content-Type': answer.headers.get('content-type') ?? 'application/json' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (relay as { baseUrl: string }).baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}

/** A message as the log shows it after feedback: status, error and the events of its history. */
export async function stateOf(vox: Vox, id: number) {
  const message = await vox.messages.get(id);
  const events = await vox.messages.events(id);
  return {
    status: message?.status,
    error: message?.error ?? null,
    errorCode: message?.errorCode ?? null,
    permanent: message?.permanent,
    events: events.map((e) => ({ event: e.event, code: e.code, recipient: e.recipient })),
  };
}

/**
 * A fresh database of `database`'s kind that the test can also read directly (the suppression
 * list has no public reader yet): SQLite in a temporary file, PostgreSQL in a schema of its own.
 */
export async function readableDatabase(database: TestDatabase): Promise<{ options: DatabaseOptions; suppressions(): Promise<SuppressionRow[]>; drop(): Promise<void> }> {
  const query = 'select protocol, address, reason, source from vox_suppressions order by id';
  if (database.name === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'vox-feedback-'));
    const path = join(dir, 'vox.db');
    return {
      options: { dialect: 'sqlite', path },
      suppressions: async () => {
        const db = new DatabaseSync(path, { readOnly: true });
        try {
          return db.prepare(query).all().map((row) => ({ ...row }) as unknown as SuppressionRow);
        } finally {
          db.close();
        }
      },
      drop: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const created = await database.create();
  const pool = (created.options as unknown as { pool: { query(sql: string): Promise<{ rows: SuppressionRow[] }> } }).pool;
  return { options: created.options, suppressions: async () => (await pool.query(query)).rows, drop: created.drop };
}

export interface SuppressionRow {
  readonly protocol: string;
  readonly address: string;
  readonly reason: string;
  readonly source: string;
}

/**
 * A shop whose orders notify their customer by email through `backend`, with `template` saved:
 * `send` notifies, waits for the message to settle and hands back its id and provider id.
 */
export async function emailShop(options: DatabaseOptions, backend: Backend, template: { subject: string; content: string }) {
  const vox = createVox({ database: options, backends: [backend] });
  const Customer = vox.model('shop.customer', { id: (c: { email: string }) => c.email, contacts: { email: (c) => [contact('Ann', 'email', c.email)] } });
  const Order = vox.model('shop.order', {
    id: (o: { id: number; email: string }) => o.id,
    notifications: { shipped: 'An order was shipped' },
    channels: { customer: { recipients: Customer, resolve: (o) => [{ email: o.email }] } },
  });
  await vox.migrate();
  await vox.sync();
  await vox.templates.save({ notification: 'shop.order.shipped', backend: backend.id, recipients: ['c:customer'], ...template });
  const send = async (orderId: number, email: string) => {
    const ticket = await Order.notify({ id: orderId, email }, 'shipped');
    const result = await ticket.settled();
    const [message] = await vox.messages.list({ issueId: ticket.issueId });
    if (result.sent !== 1 || !message?.providerMessageId) throw new Error(`the message was not sent: ${JSON.stringify(result)}`);
    return { id: message.id, providerMessageId: message.providerMessageId, issueId: ticket.issueId, settled: ticket.settled };
  };
  return { vox, send };
}

/**
 * The test SMTP server's transport, except that its answer reaches Vox only after the hook set with
 * `beforeAnswer` (once) has run with the message's Message-ID: a provider's report can come first.
 */
export function answerLater(smtp: TestSmtp): { readonly transport: MailTransport; beforeAnswer(hook: ((messageId: string) => Promise<void>) | undefined): void } {
  let hook: ((messageId: string) => Promise<void>) | undefined;
  return {
    transport: {
      sendMail: async (mail) => {
        const info = await smtp.transport.sendMail(mail);
        const once = hook;
        hook = undefined;
        if (once && info.messageId) await once(info.messageId);
        return info;
      },
    },
    beforeAnswer: (next) => void (hook = next),
  };
}
