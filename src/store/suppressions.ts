/** The suppression list: addresses per protocol that no message may go to, read in batches by the fan-out. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { suppressionAddress, type SuppressionInput, type SuppressionReason, type SuppressionRecord } from '../vocabulary/suppression.ts';
import { now, type Db } from './rows.ts';
import type { SuppressionTable, VoxDatabase } from './schema.ts';

/** Addresses per lookup query: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/** Suppressions as stored; addresses are kept in their compared form ({@link suppressionAddress}). */
export class SuppressionRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /** Adds addresses; one already on the list keeps its first reason. Returns how many were new. */
  async add(entries: readonly SuppressionInput[], db: Db = this.db): Promise<number> {
    if (entries.length === 0) return 0;
    const at = now();
    let added = 0;
    for (let i = 0; i < entries.length; i += CHUNK) {
      const rows = entries.slice(i, i + CHUNK).map((e) => ({
        protocol: e.protocol,
        address: suppressionAddress(e.protocol, e.address),
        reason: e.reason,
        source: e.source,
        note: e.note ?? null,
        created_at: at,
      }));
      const inserted = await db
        .insertInto('vox_suppressions')
        .values(rows)
        .onConflict((oc) => oc.columns(['protocol', 'address']).doNothing())
        .returning('id')
        .execute();
      added += inserted.length;
    }
    return added;
  }

  /** Takes an address off the list; false when it was not on it. */
  async remove(protocol: string, address: string, db: Db = this.db): Promise<boolean> {
    const result = await db
      .deleteFrom('vox_suppressions')
      .where('protocol', '=', protocol)
      .where('address', '=', suppressionAddress(protocol, address))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Newest first; `address` matches a part of the address, `before` pages by id. */
  async list(
    filter: { protocol?: string; address?: string; reason?: SuppressionReason; before?: number; limit?: number } = {},
    db: Db = this.db,
  ): Promise<SuppressionRecord[]> {
    let query = db.selectFrom('vox_suppressions').selectAll().orderBy('id', 'desc').limit(filter.limit ?? 100);
    if (filter.protocol !== undefined) query = query.where('protocol', '=', filter.protocol);
    if (filter.reason !== undefined) query = query.where('reason', '=', filter.reason);
    if (filter.before !== undefined) query = query.where('id', '<', filter.before);
    if (filter.address !== undefined && filter.address.trim() !== '') {
      const part = filter.address.trim().toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
      query = query.where(sql<boolean>`lower(address) like ${`%${part}%`} escape '\\'`);
    }
    return (await query.execute()).map(toRecord);
  }

  /** The suppressions among `addresses` of one protocol, keyed by compared address; one query per 500. */
  async find(protocol: string, addresses: readonly string[], db: Db = this.db): Promise<Map<string, SuppressionRecord>> {
    const found = new Map<string, SuppressionRecord>();
    const wanted = [...new Set(addresses.map((a) => suppressionAddress(protocol, a)))];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const rows = await db
        .selectFrom('vox_suppressions')
        .selectAll()
        .where('protocol', '=', protocol)
        .where('address', 'in', wanted.slice(i, i + CHUNK))
        .execute();
      for (const row of rows) found.set(row.address, toRecord(row));
    }
    return found;
  }
}

function toRecord(row: Selectable<SuppressionTable>): SuppressionRecord {
  return {
    id: row.id,
    protocol: row.protocol,
    address: row.address,
    reason: row.reason as SuppressionReason,
    source: row.source,
    note: row.note,
    createdAt: row.created_at,
  };
}
