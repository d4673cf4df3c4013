/** Throttle counters: per notification, protocol and recipient address, messages in the current window; counted a batch per statement. */
import { sql, type Kysely } from 'kysely';
import { now, type Db } from './rows.ts';
import type { VoxDatabase } from './schema.ts';

export class ThrottleRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /**
   * Counts one more message for each address (distinct addresses), in one statement, and returns
   * each address's count in its window, this one included. A window starts at an address's first
   * message and lasts `windowMs`; the first message after it starts the next.
   */
  async count(notification: string, protocol: string, addresses: readonly string[], windowMs: number, db: Db = this.db): Promise<Map<string, number>> {
    if (addresses.length === 0) return new Map();
    const at = now();
    const expired = new Date(Date.now() - windowMs).toISOString();
    const rows = await db
      .insertInto('vox_throttles')
      .values(addresses.map((address) => ({ notification, protocol, address, window_start: at, sent: 1 })))
      .onConflict((oc) =>
        oc.columns(['notification', 'protocol', 'address']).doUpdateSet({
          sent: sql`case when vox_throttles.window_start <= ${expired} then 1 else vox_throttles.sent + 1 end`,
          window_start: sql`case when vox_throttles.window_start <= ${expired} then excluded.window_start else vox_throttles.window_start end`,
        }),
      )
      .returning(['address', 'sent'])
      .execute();
    return new Map(rows.map((r) => [r.address, Number(r.sent)]));
  }
}
