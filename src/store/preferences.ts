/** Recipients' preferences as stored: read for one recipient or a batch of them, written in one transaction. */
import type { Kysely, Selectable } from 'kysely';
import type { PreferenceLevel, PreferenceRecord } from '../vocabulary/preferences.ts';
import { atomically, flag, now, type Db } from './rows.ts';
import type { PreferenceTable, VoxDatabase } from './schema.ts';

/** Recipient ids per look-up query: well under SQLite's and PostgreSQL's bound-parameter limits. */
const CHUNK = 500;

/** One preference to write for a recipient; `enabled: null` deletes it. */
export interface PreferenceWrite {
  readonly level: PreferenceLevel;
  readonly subject: string;
  readonly protocol: string;
  readonly enabled: boolean | null;
}

/** Which preferences a batched look-up needs: the global ones, and those of one category and one notification. */
export interface PreferenceSubjects {
  readonly category: string | null;
  readonly notification: string;
}

/** The vox_preferences table. */
export class PreferenceRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  /** Every preference of one recipient. */
  async ofRecipient(model: string, id: string, db: Db = this.db): Promise<PreferenceRecord[]> {
    const rows = await db
      .selectFrom('vox_preferences')
      .selectAll()
      .where('recipient_model', '=', model)
      .where('recipient_id', '=', id)
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  /**
   * The preferences that bear on one notification for many recipients of one model, by recipient
   * id: one query per 500 recipients.
   */
  async forRecipients(model: string, ids: readonly string[], subjects: PreferenceSubjects, db: Db = this.db): Promise<Map<string, PreferenceRecord[]>> {
    const found = new Map<string, PreferenceRecord[]>();
    const wanted = [...new Set(ids)];
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const rows = await db
        .selectFrom('vox_preferences')
        .selectAll()
        .where('recipient_model', '=', model)
        .where('recipient_id', 'in', wanted.slice(i, i + CHUNK))
        .where((eb) =>
          eb.or([
            eb('level', '=', 'global'),
            eb.and([eb('level', '=', 'notification'), eb('subject', '=', subjects.notification)]),
            ...(subjects.category === null ? [] : [eb.and([eb('level', '=', 'category'), eb('subject', '=', subjects.category)])]),
          ]),
        )
        .execute();
      for (const row of rows) {
        const list = found.get(row.recipient_id);
        if (list) list.push(toRecord(row));
        else found.set(row.recipient_id, [toRecord(row)]);
      }
    }
    return found;
  }

  /** Writes preferences of one recipient, all or none (in `db`'s transaction, or a new one). */
  async write(model: string, id: string, changes: readonly PreferenceWrite[], db: Db = this.db): Promise<void> {
    if (changes.length === 0) return;
    const at = now();
    await atomically(db, async (trx) => {
      for (const change of changes) {
        const key = { recipient_model: model, recipient_id: id, level: change.level, subject: change.subject, protocol: change.protocol };
        if (change.enabled === null) {
          await trx
            .deleteFrom('vox_preferences')
            .where('recipient_model', '=', model)
            .where('recipient_id', '=', id)
            .where('level', '=', change.level)
            .where('subject', '=', change.subject)
            .where('protocol', '=', change.protocol)
            .execute();
          continue;
        }
        const enabled = flag(change.enabled);
        await trx
          .insertInto('vox_preferences')
          .values({ ...key, enabled, updated_at: at })
          .onConflict((oc) => oc.columns(['recipient_model', 'recipient_id', 'level', 'subject', 'protocol']).doUpdateSet({ enabled, updated_at: at }))
          .execute();
      }
    });
  }
}

function toRecord(row: Selectable<PreferenceTable>): PreferenceRecord {
  return { level: row.level as PreferenceLevel, subject: row.subject, protocol: row.protocol, enabled: row.enabled === 1, updatedAt: row.updated_at };
}
