/**
 * The admin API's suppression list: listing and searching it, adding an address (reason `admin`,
 * source the signed-in staff member) and taking one off. Writes go through the admin's session and
 * CSRF checks like every other; fields are length-checked by `vox.suppressions`.
 */
import type { Context, Hono } from 'hono';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { SUPPRESSION_REASONS, type SuppressionReason } from '../vocabulary/suppression.ts';
import type { SuppressionPage } from './api.ts';
import type { AdminDeps } from './context.ts';
import type { Env } from './http.ts';
import * as input from './input.ts';

const PAGE = 50;

/** Adds the suppression routes to the admin's app. */
export function suppressionRoutes(app: Hono<Env>, deps: AdminDeps, body: (c: Context<Env>) => Promise<Record<string, unknown>>): void {
  const { suppressions } = deps;
  app.get('/api/suppressions', async (c) => {
    const query = c.req.query();
    const reason = query.reason ? (query.reason as SuppressionReason) : undefined;
    if (reason !== undefined && !SUPPRESSION_REASONS.includes(reason)) throw new VoxError(ErrorCode.invalidInput, `reason must be one of ${SUPPRESSION_REASONS.join(', ')}`);
    const rows = await suppressions.list({
      ...(query.q ? { address: input.query(query.q) } : {}),
      ...(query.protocol ? { protocol: query.protocol } : {}),
      ...(reason ? { reason } : {}),
      ...(query.before ? { before: input.idParam(query.before, 'suppression') } : {}),
      limit: PAGE + 1,
    });
    const shown = rows.slice(0, PAGE);
    const result: SuppressionPage = { suppressions: shown, next: rows.length > PAGE ? (shown.at(-1)?.id ?? null) : null };
    return c.json(result);
  });
  app.post('/api/suppressions', async (c) => {
    const b = await body(c);
    const user = c.get('user');
    const protocol = input.text(b, 'protocol');
    const address = input.text(b, 'address');
    const added = await suppressions.add({ protocol, address, reason: 'admin', source: `admin:${(user.name || String(user.id)).slice(0, 190)}`, note: input.optionalText(b, 'note') ?? null });
    const [row] = await suppressions.find(protocol, [address]).then((found) => [...found.values()]);
    return c.json({ added: added === 1, suppression: row ?? null }, added === 1 ? 201 : 200);
  });
  app.delete('/api/suppressions', async (c) => {
    const protocol = c.req.query('protocol') ?? '';
    const address = c.req.query('address') ?? '';
    if (!(await suppressions.remove(protocol, address))) throw new VoxError(ErrorCode.notFound, `${address} is not on the suppression list for ${protocol}`);
    return c.body(null, 204);
  });
}
