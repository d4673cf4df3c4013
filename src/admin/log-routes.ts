/** The admin API's site contacts and message log: listing, filtering, one message, resend. */
import type { Context, Hono } from 'hono';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { MessageDetail, MessagePage, SendOutcome } from './api.ts';
import type { AdminDeps } from './context.ts';
import { messageSummary, type Env } from './http.ts';
import * as input from './input.ts';

const MESSAGE_PAGE = 50;

/** Adds the site-contact and message-log routes to the admin's app. */
export function logRoutes(app: Hono<Env>, deps: AdminDeps, json: (c: Context<Env>) => Promise<unknown>, body: (c: Context<Env>) => Promise<Record<string, unknown>>): void {
  const { store, siteContacts, delivery } = deps;
  app.get('/api/site-contacts', async (c) => c.json(await siteContacts.list()));
  app.post('/api/site-contacts', async (c) => c.json(await siteContacts.save(input.siteContactForm(await json(c))), 201));
  app.put('/api/site-contacts/:id', async (c) => c.json(await siteContacts.save({ ...input.siteContactForm(await json(c)), id: input.idParam(c.req.param('id'), 'site contact') })));
  app.delete('/api/site-contacts/:id', async (c) => {
    await siteContacts.delete(input.idParam(c.req.param('id'), 'site contact'));
    return c.body(null, 204);
  });

  app.get('/api/messages', async (c) => {
    const query = c.req.query();
    const limit = Math.min(Math.max(Number(query.limit) || MESSAGE_PAGE, 1), 200);
    const status = input.messageStatus(query.status);
    const createdFrom = input.dayStart(query.from, 'from');
    const createdBefore = input.dayStart(query.to, 'to', 1);
    const rows = await store.messages.list({
      ...(status ? { status } : {}),
      ...(query.backend ? { backend: query.backend } : {}),
      ...(query.notification ? { notification: query.notification } : {}),
      ...(query.address ? { address: input.query(query.address) } : {}),
      ...(createdFrom ? { createdFrom } : {}),
      ...(createdBefore ? { createdBefore } : {}),
      ...(query.before ? { beforeId: input.idParam(query.before, 'message') } : {}),
      limit: limit + 1,
    });
    const shownRows = rows.slice(0, limit);
    const result: MessagePage = { messages: shownRows.map(messageSummary), next: rows.length > limit ? (shownRows.at(-1)?.id ?? null) : null };
    return c.json(result);
  });
  app.get('/api/messages/:id', async (c) => {
    const id = input.idParam(c.req.param('id'), 'message');
    const message = await store.messages.get(id);
    if (!message) throw new VoxError(ErrorCode.notFound, `message ${id} does not exist`);
    const { renderContext: _context, lockedUntil: _lease, idempotencyKey: _key, ...record } = message;
    const result: MessageDetail = record;
    return c.json(result);
  });
  app.post('/api/messages/resend', async (c) => {
    const outcomes = await delivery.resend(input.ids(await body(c), 'ids'));
    return c.json({ outcomes: outcomes.map((o) => ({ id: o.id, status: o.status, to: o.to, error: o.error }) satisfies SendOutcome) });
  });
}
