/**
 * `vox.preferences`: a recipient's resolved grid of preferences, and writing them (checked: known
 * notifications, categories and protocols, nothing of a required notification; all or nothing).
 */
import { resolvePreference, type PreferenceTarget } from '../delivery/preferences.ts';
import type { ModelDef, Registry } from '../registry/registry.ts';
import type { PreferenceWrite } from '../store/preferences.ts';
import type { Store } from '../store/store.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { ModelRef } from '../vocabulary/model.ts';
import type { PreferenceCells, PreferenceChange, PreferenceGrid, PreferenceRecord } from '../vocabulary/preferences.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';

/** Most changes one call of `set` takes. */
const MAX_CHANGES = 1000;

/** The preferences API of a Vox instance. */
export class Preferences {
  readonly #registry: Registry;
  readonly #store: Store;

  constructor(registry: Registry, store: Store) {
    this.#registry = registry;
    this.#store = store;
  }

  /** The recipient's whole resolved grid. */
  async get(model: ModelRef, recipientOrId: unknown): Promise<PreferenceGrid> {
    const def = this.#registry.get(typeof model === 'string' ? model : model.name);
    const id = recipientId(def, recipientOrId);
    const [notifications, stored] = await Promise.all([this.#notificationsOf(def), this.#store.preferences.ofRecipient(def.name, id)]);
    return grid(def, id, notifications, stored);
  }

  /**
   * Writes one or many preferences of the recipient in one transaction and returns the new grid.
   * A preference of a required notification throws `VOX_PREFERENCE_LOCKED`; an unknown
   * notification, category or protocol throws its coded error; nothing is written then.
   */
  async set(model: ModelRef, recipientOrId: unknown, changes: PreferenceChange | readonly PreferenceChange[]): Promise<PreferenceGrid> {
    const def = this.#registry.get(typeof model === 'string' ? model : model.name);
    const id = recipientId(def, recipientOrId);
    const list: readonly PreferenceChange[] = Array.isArray(changes) ? changes : [changes as PreferenceChange];
    if (list.length > MAX_CHANGES) throw new VoxError(ErrorCode.invalidInput, `at most ${MAX_CHANGES} preference changes at once, not ${list.length}`);
    const notifications = await this.#notificationsOf(def);
    const writes = list.map((change) => checked(def, notifications, change));
    await this.#store.preferences.write(def.name, id, writes);
    return grid(def, id, notifications, await this.#store.preferences.ofRecipient(def.name, id));
  }

  /** Stored notifications that a channel can deliver to objects of `def`'s model. */
  async #notificationsOf(def: ModelDef): Promise<NotificationRecord[]> {
    const all = await this.#store.notifications.list();
    const reaching = all.filter((n) => this.#registry.channelChoices(n).some((c) => c.recipientModel === def.name));
    // Categories come in the order code declares them, notifications in code order within them.
    const declared = this.#registry.notifications().map((n) => n.id);
    const categories = this.#registry.categories().map((c) => c.key);
    const rank = (list: readonly string[], key: string | undefined) => (key === undefined || !list.includes(key) ? list.length : list.indexOf(key));
    return reaching.sort((a, b) => rank(categories, a.category?.key) - rank(categories, b.category?.key) || rank(declared, a.key) - rank(declared, b.key));
  }
}

function recipientId(def: ModelDef, recipientOrId: unknown): string {
  if (typeof recipientOrId === 'string' || typeof recipientOrId === 'number') {
    if (recipientOrId === '' || (typeof recipientOrId === 'number' && !Number.isFinite(recipientOrId))) {
      throw new VoxError(ErrorCode.invalidInput, `${def.name}: a recipient id must be a non-empty string or a finite number`);
    }
    return String(recipientOrId);
  }
  if (recipientOrId === null || recipientOrId === undefined) throw new VoxError(ErrorCode.invalidInput, `${def.name}: give a recipient or its id`);
  return def.idOf(recipientOrId);
}

/** The protocols a model's objects can be reached by: its contacts' keys. */
function protocolsOf(def: ModelDef): string[] {
  return [...def.contacts.keys()];
}

function checked(def: ModelDef, notifications: readonly NotificationRecord[], change: PreferenceChange): PreferenceWrite {
  if (typeof change !== 'object' || change === null) throw new VoxError(ErrorCode.invalidInput, 'a preference change must be an object like { category, protocol, enabled }');
  if (change.enabled !== null && typeof change.enabled !== 'boolean') {
    throw new VoxError(ErrorCode.invalidInput, `enabled must be true, false or null (to remove the preference), not ${JSON.stringify(change.enabled)}`);
  }
  if (change.notification !== undefined && change.category !== undefined) {
    throw new VoxError(ErrorCode.invalidInput, 'a preference names a notification or a category, not both');
  }
  const protocols = protocolsOf(def);
  if (change.protocol !== undefined && !protocols.includes(change.protocol)) {
    throw new VoxError(ErrorCode.unknownProtocol, `${def.name} has no contacts for protocol ${JSON.stringify(change.protocol)}; its protocols are ${protocols.join(', ') || 'none'}`);
  }
  const protocol = change.protocol ?? '';
  if (change.notification !== undefined) {
    const notification = notifications.find((n) => n.key === change.notification);
    if (!notification) {
      throw new VoxError(ErrorCode.unknownNotification, `notification ${JSON.stringify(change.notification)} does not exist or cannot reach ${def.name}; run \`vox sync\` after declaring it`);
    }
    if (notification.required) {
      throw new VoxError(ErrorCode.preferenceLocked, `${notification.key} is required: nobody can opt out of it, so its preferences cannot be set`);
    }
    return { level: 'notification', subject: notification.key, protocol, enabled: change.enabled };
  }
  if (change.category !== undefined) {
    const members = notifications.filter((n) => n.category?.key === change.category);
    if (members.length === 0) {
      throw new VoxError(ErrorCode.unknownCategory, `no notification that can reach ${def.name} is in category ${JSON.stringify(change.category)}`);
    }
    if (members.every((n) => n.required)) {
      throw new VoxError(ErrorCode.preferenceLocked, `every notification of category ${change.category} is required: nobody can opt out of them, so its preferences cannot be set`);
    }
    return { level: 'category', subject: change.category, protocol, enabled: change.enabled };
  }
  return { level: 'global', subject: '', protocol, enabled: change.enabled };
}

function cells(protocols: readonly string[], stored: readonly PreferenceRecord[], target: PreferenceTarget): PreferenceCells {
  return Object.fromEntries(protocols.map((protocol) => [protocol, { ...resolvePreference(stored, target, protocol), locked: target.required }]));
}

function grid(def: ModelDef, id: string, notifications: readonly NotificationRecord[], stored: readonly PreferenceRecord[]): PreferenceGrid {
  const protocols = protocolsOf(def);
  const categories = new Map<string, string>();
  for (const n of notifications) if (n.category && !categories.has(n.category.key)) categories.set(n.category.key, n.category.label);
  const none = { key: null, category: null, required: false, defaults: {} };
  return {
    model: def.name,
    id,
    protocols,
    global: cells(protocols, stored, none),
    // A category whose notifications are all required is locked as they are.
    categories: [...categories].map(([key, label]) => ({
      key,
      label,
      cells: cells(protocols, stored, { ...none, category: key, required: notifications.every((n) => n.category?.key !== key || n.required) }),
    })),
    notifications: notifications.map((n) => ({
      key: n.key,
      description: n.description,
      category: n.category?.key ?? null,
      required: n.required,
      cells: cells(protocols, stored, { key: n.key, category: n.category?.key ?? null, required: n.required, defaults: n.defaults }),
    })),
    stored,
  };
}
