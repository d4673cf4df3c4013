/** Reading the site contacts table, with each contact's per-notification settings. */
import type { Kysely } from 'kysely';
import type { SiteContactRecord } from '../vocabulary/records.ts';
import type { Db } from './rows.ts';
import type { VoxDatabase } from './schema.ts';

/** Site contacts as stored. */
export class SiteContactRows {
  readonly db: Kysely<VoxDatabase>;

  constructor(db: Kysely<VoxDatabase>) {
    this.db = db;
  }

  async list(filter: { protocol?: string; id?: number } = {}, db: Db = this.db): Promise<SiteContactRecord[]> {
    let query = db.selectFrom('vox_site_contacts').selectAll().orderBy('id');
    if (filter.protocol !== undefined) query = query.where('protocol', '=', filter.protocol);
    if (filter.id !== undefined) query = query.where('id', '=', filter.id);
    const contacts = await query.execute();
    if (contacts.length === 0) return [];
    const settings = await db
      .selectFrom('vox_site_contact_settings as s')
      .innerJoin('vox_notifications as n', 'n.id', 's.notification_id')
      .select(['s.site_contact_id', 's.enabled', 'n.model', 'n.codename'])
      .where('s.site_contact_id', 'in', contacts.map((c) => c.id))
      .execute();
    return contacts.map((c) => ({
      id: c.id,
      name: c.name,
      protocol: c.protocol,
      address: c.address,
      enableFilter: c.enable_filter,
      settings: Object.fromEntries(
        settings.filter((s) => s.site_contact_id === c.id).map((s) => [`${s.model}.${s.codename}`, s.enabled === 1]),
      ),
    }));
  }
}
