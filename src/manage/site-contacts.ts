/** Site contacts: saved and deleted with their per-notification settings, addresses checked by their backend, fields by their length. */
import type { Backend } from '../vocabulary/backend.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { flag, now } from '../store/rows.ts';
import { type Store } from '../store/store.ts';
import { type EnableFilter, type SiteContactRecord } from '../vocabulary/records.ts';
import { MAX_LENGTH, checkEntries, checkLength } from './field-lengths.ts';

/** A site contact to create (no `id`) or replace (with `id`). */
export interface SiteContactInput {
  readonly id?: number;
  readonly name: string;
  /** A protocol of a configured backend, for example `email`. */
  readonly protocol: string;
  readonly address: string;
  /** @default 'blacklist' (every notification unless disabled) */
  readonly enableFilter?: EnableFilter;
  /** Per-notification settings, `<model>.<codename>` → enabled; replaces the stored ones. */
  readonly settings?: Readonly<Record<string, boolean>>;
}

/** Addresses managed by staff, reached through the `si` (Site Contacts) channel. */
export class SiteContacts {
  readonly #store: Store;
  readonly #backends: ReadonlyMap<string, Backend>;

  constructor(store: Store, backends: ReadonlyMap<string, Backend>) {
    this.#store = store;
    this.#backends = backends;
  }

  async save(input: SiteContactInput): Promise<SiteContactRecord> {
    checkLength('name', input.name, MAX_LENGTH.name);
    checkLength('protocol', input.protocol, MAX_LENGTH.key);
    checkLength('address', input.address, MAX_LENGTH.address);
    checkEntries('settings', Object.keys(input.settings ?? {}), MAX_LENGTH.notificationKey);
    const protocols = new Set([...this.#backends.values()].map((b) => b.protocol));
    const problems: string[] = [];
    if (!input.name?.trim()) problems.push('name is empty');
    const address = typeof input.address === 'string' ? input.address.trim() : '';
    const backends = [...this.#backends.values()].filter((b) => b.protocol === input.protocol);
    // A blank address means something to some backends (X: a status update); for the rest it is a mistake.
    if (address === '' && !backends.some((b) => b.capabilities.blankAddress)) problems.push('address is empty');
    else {
      const problem = backends.map((b) => b.validateAddress?.(address)).find((p) => p !== undefined);
      if (problem) problems.push(`address: ${problem}`);
    }
    if (!protocols.has(input.protocol)) problems.push(`protocol ${JSON.stringify(input.protocol)} has no configured backend; use one of ${[...protocols].join(', ') || '(none configured)'}`);
    const filter = input.enableFilter ?? 'blacklist';
    if (filter !== 'blacklist' && filter !== 'whitelist') problems.push(`enableFilter must be 'blacklist' or 'whitelist'`);
    if (problems.length > 0) throw new VoxError(ErrorCode.invalidInput, `site contact: ${problems.join('; ')}`);
    const notifications = new Map((await this.#store.notifications.list()).map((n) => [n.key, n.id]));
    for (const key of Object.keys(input.settings ?? {})) {
      if (!notifications.has(key)) throw new VoxError(ErrorCode.unknownNotification, `site contact setting for unknown notification ${JSON.stringify(key)}`);
    }
    const timestamp = now();
    const values = { name: input.name.trim(), protocol: input.protocol, address, enable_filter: filter, updated_at: timestamp };
    const id = await this.#store.db.transaction().execute(async (trx) => {
      let contactId: number;
      if (input.id === undefined) {
        contactId = (await trx.insertInto('vox_site_contacts').values({ ...values, created_at: timestamp }).returning('id').executeTakeFirstOrThrow()).id;
      } else {
        const updated = await trx.updateTable('vox_site_contacts').set(values).where('id', '=', input.id).executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw new VoxError(ErrorCode.notFound, `site contact ${input.id} does not exist`);
        contactId = input.id;
      }
      if (input.settings !== undefined) {
        await trx.deleteFrom('vox_site_contact_settings').where('site_contact_id', '=', contactId).execute();
        for (const [key, enabled] of Object.entries(input.settings)) {
          await trx.insertInto('vox_site_contact_settings').values({ site_contact_id: contactId, notification_id: notifications.get(key) as number, enabled: flag(enabled) }).execute();
        }
      }
      return contactId;
    });
    const [saved] = await this.#store.siteContacts.list({ id });
    if (!saved) throw new VoxError(ErrorCode.notFound, `site contact ${id} vanished while saving`);
    return saved;
  }

  async list(protocol?: string): Promise<SiteContactRecord[]> {
    return this.#store.siteContacts.list(protocol === undefined ? {} : { protocol });
  }

  async delete(id: number): Promise<void> {
    const result = await this.#store.db.deleteFrom('vox_site_contacts').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new VoxError(ErrorCode.notFound, `site contact ${id} does not exist`);
  }
}
