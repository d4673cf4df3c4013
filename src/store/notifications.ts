/** Reading the notifications table. */
import type { Kysely } from 'kysely';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';
import { toNotification, type Db } from './rows.ts';
import type { VoxDatabase } from './schema.ts';

/** Notifications as stored, found by key or id. */
export class NotificationRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  async list(db: Db = this.db): Promise<NotificationRecord[]> {
    const rows = await db.selectFrom('vox_notifications').selectAll().orderBy('model').orderBy('codename').execute();
    return rows.map(toNotification);
  }

  async find(model: string, codename: string, db: Db = this.db): Promise<NotificationRecord | undefined> {
    const row = await db.selectFrom('vox_notifications').selectAll().where('model', '=', model).where('codename', '=', codename).executeTakeFirst();
    return row && toNotification(row);
  }

  /** The notification `<model>.<codename>`; a clear error when it does not exist. */
  async require(key: string, db: Db = this.db): Promise<NotificationRecord> {
    const dot = key.lastIndexOf('.');
    const found = dot > 0 ? await this.find(key.slice(0, dot), key.slice(dot + 1), db) : undefined;
    if (!found) throw new VoxError(ErrorCode.unknownNotification, `notification ${JSON.stringify(key)} does not exist; run \`vox sync\` after declaring it in code`);
    return found;
  }

  async get(id: number, db: Db = this.db): Promise<NotificationRecord | undefined> {
    const row = await db.selectFrom('vox_notifications').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toNotification(row);
  }
}
