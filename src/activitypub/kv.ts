/** Fedify's key–value store on Vox's database (SQLite or PostgreSQL), with expiry. */
import { sql, type Kysely } from 'kysely';
import type { ActivityDatabase } from './schema.ts';

/** A key of Fedify's key–value store: one or more strings. */
export type KvKey = readonly [string] | readonly [string, ...string[]];

/** The slice of a `Temporal.Duration` the store reads. */
interface DurationLike {
  total(unit: 'millisecond'): number;
}

/** How often, in writes, expired entries are swept out. */
const SWEEP_EVERY = 200;

/**
 * Fedify's `KvStore` over Vox's database (table `vox_kv`), so that its caches, idempotence
 * records and circuit breakers survive restarts and are shared by every process of the app.
 * Values are stored as JSON.
 */
export class SqlKvStore {
  readonly #db: Kysely<ActivityDatabase>;
  #writes = 0;

  constructor(db: Kysely<ActivityDatabase>) {
    this.#db = db;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const row = await this.#db.selectFrom('vox_kv').select(['value', 'expires_at']).where('key', '=', encodeKey(key)).executeTakeFirst();
    if (!row || expired(row.expires_at)) return undefined;
    return JSON.parse(row.value) as T;
  }

  async set(key: KvKey, value: unknown, options?: { ttl?: DurationLike }): Promise<void> {
    const values = { value: JSON.stringify(value ?? null), expires_at: expiry(options?.ttl) };
    await this.#db
      .insertInto('vox_kv')
      .values({ key: encodeKey(key), ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
    if (++this.#writes % SWEEP_EVERY === 0) await this.#db.deleteFrom('vox_kv').where('expires_at', '<', new Date().toISOString()).execute();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom('vox_kv').where('key', '=', encodeKey(key)).execute();
  }

  /** Sets `newValue` only if the current value is `expectedValue` (undefined: no entry). */
  async cas(key: KvKey, expectedValue: unknown, newValue: unknown, options?: { ttl?: DurationLike }): Promise<boolean> {
    const encoded = encodeKey(key);
    const values = { value: JSON.stringify(newValue ?? null), expires_at: expiry(options?.ttl) };
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('vox_kv').select(['value', 'expires_at']).where('key', '=', encoded).executeTakeFirst();
      const current = !row || expired(row.expires_at) ? undefined : row.value;
      if (expectedValue === undefined) {
        if (current !== undefined) return false;
        await trx.insertInto('vox_kv').values({ key: encoded, ...values }).onConflict((oc) => oc.column('key').doUpdateSet(values)).execute();
        return true;
      }
      if (current === undefined || current !== JSON.stringify(expectedValue)) return false;
      // Only if nobody changed it since it was read (PostgreSQL transactions do not lock a plain select).
      const result = await trx.updateTable('vox_kv').set(values).where('key', '=', encoded).where('value', '=', current).executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
  }

  async *list(prefix?: KvKey): AsyncIterable<{ readonly key: KvKey; readonly value: unknown }> {
    let query = this.#db.selectFrom('vox_kv').select(['key', 'value', 'expires_at']).orderBy('key');
    if (prefix) {
      const encoded = encodeKey(prefix);
      query = query.where((eb) => eb.or([eb('key', '=', encoded), eb(sql<string>`substr(${sql.ref('key')}, 1, ${encoded.length + 1})`, '=', `${encoded}/`)]));
    }
    for (const row of await query.execute()) {
      if (expired(row.expires_at)) continue;
      yield { key: decodeKey(row.key), value: JSON.parse(row.value) as unknown };
    }
  }
}

function encodeKey(key: KvKey): string {
  return key.map((part) => encodeURIComponent(part)).join('/');
}

function decodeKey(encoded: string): KvKey {
  const [first = '', ...rest] = encoded.split('/').map((part) => decodeURIComponent(part));
  return [first, ...rest];
}

function expiry(ttl: DurationLike | undefined): string | null {
  return ttl === undefined ? null : new Date(Date.now() + ttl.total('millisecond')).toISOString();
}

function expired(expiresAt: string | null): boolean {
  return expiresAt !== null && expiresAt <= new Date().toISOString();
}
