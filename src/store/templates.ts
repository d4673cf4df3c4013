/** Reading the templates table, with each template's attachments. */
import type { Kysely } from 'kysely';
import type { TemplateDigest } from '../vocabulary/digest.ts';
import type { TemplateRecord } from '../vocabulary/records.ts';
import type { Db } from './rows.ts';
import type { VoxDatabase } from './schema.ts';

/** Templates as stored. */
export class TemplateRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  async countsByNotification(db: Db = this.db): Promise<Map<number, number>> {
    const rows = await db
      .selectFrom('vox_templates')
      .select(['notification_id', (eb) => eb.fn.countAll<number | string>().as('count')])
      .groupBy('notification_id')
      .execute();
    return new Map(rows.map((r) => [r.notification_id, Number(r.count)]));
  }

  async list(filter: { notificationId?: number; ids?: readonly number[]; enabledOnly?: boolean } = {}, db: Db = this.db): Promise<TemplateRecord[]> {
    let query = db
      .selectFrom('vox_templates as t')
      .innerJoin('vox_notifications as n', 'n.id', 't.notification_id')
      .selectAll('t')
      .select(['n.model', 'n.codename'])
      .orderBy('t.id');
    if (filter.notificationId !== undefined) query = query.where('t.notification_id', '=', filter.notificationId);
    if (filter.ids !== undefined) query = query.where('t.id', 'in', filter.ids.length > 0 ? [...filter.ids] : [-1]);
    if (filter.enabledOnly) query = query.where('t.enabled', '=', 1);
    const rows = await query.execute();
    if (rows.length === 0) return [];
    const attachments = await db
      .selectFrom('vox_template_attachments')
      .select(['template_id', 'attachment_key'])
      .where('template_id', 'in', rows.map((r) => r.id))
      .orderBy('id')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      key: row.key,
      notificationId: row.notification_id,
      notification: `${row.model}.${row.codename}`,
      backend: row.backend,
      recipients: JSON.parse(row.recipients) as string[],
      subject: row.subject,
      content: row.content,
      fromAddress: row.from_address,
      attachments: attachments.filter((a) => a.template_id === row.id).map((a) => a.attachment_key),
      bulk: row.bulk === 1,
      enabled: row.enabled === 1,
      digest: row.digest === null ? null : (JSON.parse(row.digest) as TemplateDigest),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async get(id: number, db: Db = this.db): Promise<TemplateRecord | undefined> {
    return (await this.list({ ids: [id] }, db))[0];
  }

  /** The id of the template with this key, if any. */
  async idByKey(key: string, db: Db = this.db): Promise<number | undefined> {
    return (await db.selectFrom('vox_templates').select('id').where('key', '=', key).executeTakeFirst())?.id;
  }
}
