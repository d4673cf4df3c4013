/** The registry: models as declared in code, with their notifications, channels, contacts and attachments. */
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { AttachmentSpec, ChannelSpec, ContactsFunction, ManyOf, ModelOptions, ModelRef, NotificationSpec, NotificationsSpec, OwnChannelSpec, RelationSpec } from '../vocabulary/model.ts';

/** A notification as declared in code, normalised. */
export interface NotificationDef {
  /** `<model>.<codename>`. */
  readonly id: string;
  readonly model: string;
  readonly codename: string;
  readonly description: string;
  readonly actorModel: string | null;
  readonly targetModel: string | null;
  readonly required: boolean;
  readonly category: { readonly key: string; readonly label: string } | null;
  /** Protocol → opted in by default; a protocol not named is opted in. */
  readonly defaults: Readonly<Record<string, boolean>>;
}

/** A channel, normalised: key `''` is the object itself. */
export interface ChannelDef {
  readonly key: string;
  readonly label: string;
  readonly recipientModel: string;
  readonly resolve: (object: unknown) => Promise<ManyOf<unknown>>;
}

/** A registered model, normalised, with object types erased for the core. */
export interface ModelDef {
  readonly name: string;
  readonly label: string;
  readonly options: ModelOptions<unknown, NotificationsSpec>;
  readonly notifications: ReadonlyMap<string, NotificationDef>;
  readonly channels: ReadonlyMap<string, ChannelDef>;
  readonly contacts: ReadonlyMap<string, ContactsFunction<unknown>>;
  readonly attachments: ReadonlyMap<string, AttachmentSpec<unknown> & { readonly label: string }>;
  readonly relations: ReadonlyMap<string, { readonly model: string; readonly label: string; readonly get: (object: unknown) => Promise<unknown> }>;
  idOf(object: unknown): string;
}

/** Where a template's recipients come from, as stored in its `recipients` list. */
export interface ChannelChoice {
  /** `si`, `c`, `c:<key>`, `se`, `se:<key>`, `re`, `re:<key>`. */
  readonly key: string;
  /** "Subscribers", "Actor's Author", "Target's Subscribers", "Site Contacts". */
  readonly label: string;
  /** The model of the recipients, or null for site contacts. */
  readonly recipientModel: string | null;
}

/** An attachment a template of a notification may choose. */
export interface AttachmentChoice {
  /** For example `object.author.vcard`. */
  readonly key: string;
  /** For example `Author / Contact info`. */
  readonly label: string;
}

/** Roles an object plays in an issue, and their prefixes in channel and attachment keys. */
export const ROLES = [
  { role: 'object', channelPrefix: 'c', labelPrefix: '' },
  { role: 'actor', channelPrefix: 'se', labelPrefix: "Actor's " },
  { role: 'target', channelPrefix: 're', labelPrefix: "Target's " },
] as const;

export type Role = (typeof ROLES)[number]['role'];

const SITE_CONTACTS: ChannelChoice = { key: 'si', label: 'Site Contacts', recipientModel: null };
const MAX_RELATION_DEPTH = 3;

/** Models by name. */
export class Registry {
  readonly #models = new Map<string, ModelDef>();
  readonly #protocols: ReadonlySet<string>;
  /** Category key → the label a notification declared for it. */
  readonly #categoryLabels = new Map<string, string>();

  /** `protocols`: the only keys a model's `contacts` may have (Vox's own protocols and the configured backends'). */
  constructor(protocols: Iterable<string>) {
    this.#protocols = new Set(protocols);
  }

  add<T, N extends NotificationsSpec, M>(name: string, options: ModelOptions<T, N, M>): ModelDef {
    if (!/^[a-z0-9_]+(\.[a-z0-9_]+)*$/i.test(name)) {
      throw new VoxError(ErrorCode.configuration, `model name ${JSON.stringify(name)} must be dot-separated words, like "blog.article"`);
    }
    if (this.#models.has(name)) throw new VoxError(ErrorCode.configuration, `model ${name} is registered twice`);
    if (typeof options.id !== 'function') throw new VoxError(ErrorCode.configuration, `model ${name} needs an id function`);
    // A contacts function under a key no backend uses is never called: a misspelt `emial` would
    // leave every recipient unreachable, silently.
    const unknown = Object.keys(options.contacts ?? {}).filter((protocol) => !this.#protocols.has(protocol));
    if (unknown.length > 0) {
      throw new VoxError(
        ErrorCode.unknownProtocol,
        `model ${name} has contacts for ${unknown.map((p) => JSON.stringify(p)).join(', ')}, which no backend uses; contacts may be for ${[...this.#protocols].join(', ')}`,
      );
    }
    const erased = options as unknown as ModelOptions<unknown, NotificationsSpec>;
    const def: ModelDef = {
      name,
      label: options.label ?? capitalise(name.split('.').at(-1) ?? name),
      options: erased,
      notifications: this.#checkedNotifications(name, options.notifications ?? {}),
      channels: normaliseChannels(name, options.label ?? capitalise(name.split('.').at(-1) ?? name), erased.channels ?? {}),
      contacts: new Map(Object.entries(erased.contacts ?? {})),
      attachments: new Map(
        Object.entries(erased.attachments ?? {}).map(([key, spec]) => [key, { ...spec, label: spec.label ?? capitalise(key) }]),
      ),
      relations: new Map(
        Object.entries(erased.relations ?? {}).map(([key, spec]) => {
          const relation: RelationSpec<unknown> = typeof spec === 'string' || !('model' in spec) ? { model: spec as ModelRef } : spec;
          const get = relation.get ?? ((o: unknown) => (o as Record<string, unknown> | null)?.[key]);
          return [key, { model: refName(relation.model), label: relation.label ?? capitalise(key), get: async (o: unknown) => get(o) }];
        }),
      ),
      idOf: (object) => checkedId(name, () => options.id(object as T)),
    };
    this.#models.set(name, def);
    return def;
  }

  /**
   * Checks what notifications declare for preferences (known protocols, one explicit label per
   * category) and gives a category named by its key alone the label declared elsewhere, in this
   * model or another.
   */
  #checkedNotifications(model: string, spec: NotificationsSpec): Map<string, NotificationDef> {
    const notifications = normaliseNotifications(model, spec);
    for (const [codename, def] of notifications) {
      const unknown = Object.keys(def.defaults).filter((protocol) => !this.#protocols.has(protocol));
      if (unknown.length > 0) {
        throw new VoxError(ErrorCode.unknownProtocol, `${def.id} has defaults for ${unknown.map((p) => JSON.stringify(p)).join(', ')}, which no backend uses; protocols are ${[...this.#protocols].join(', ')}`);
      }
      const declared = spec[codename];
      const explicit = typeof declared === 'object' && typeof declared.category === 'object' ? declared.category.label : undefined;
      if (!def.category || explicit === undefined) continue;
      const known = this.#categoryLabels.get(def.category.key);
      if (known !== undefined && known !== explicit) {
        throw new VoxError(ErrorCode.configuration, `category ${def.category.key} is labelled both ${JSON.stringify(known)} and ${JSON.stringify(explicit)} (${def.id}); give it one label`);
      }
      this.#categoryLabels.set(def.category.key, explicit);
    }
    const relabel = (defs: Map<string, NotificationDef>) => {
      for (const [codename, def] of defs) {
        const label = def.category && this.#categoryLabels.get(def.category.key);
        if (def.category && label && label !== def.category.label) defs.set(codename, { ...def, category: { key: def.category.key, label } });
      }
    };
    relabel(notifications);
    for (const other of this.#models.values()) relabel(other.notifications as Map<string, NotificationDef>);
    return notifications;
  }

  /** Every preference category declared in code, with its label, in order of declaration. */
  categories(): { key: string; label: string }[] {
    const seen = new Map<string, string>();
    for (const def of this.notifications()) if (def.category && !seen.has(def.category.key)) seen.set(def.category.key, def.category.label);
    return [...seen].map(([key, label]) => ({ key, label }));
  }

  get(name: string): ModelDef {
    const def = this.#models.get(name);
    if (!def) throw new VoxError(ErrorCode.unknownModel, `model ${name} is not registered (vox.model('${name}', …))`);
    return def;
  }

  has(name: string): boolean {
    return this.#models.has(name);
  }

  models(): ModelDef[] {
    return [...this.#models.values()];
  }

  /** Every notification declared in code. */
  notifications(): NotificationDef[] {
    return this.models().flatMap((m) => [...m.notifications.values()]);
  }

  /** The notification with id `<model>.<codename>`, or undefined when code does not declare it. */
  findNotification(model: string, codename: string): NotificationDef | undefined {
    return this.#models.get(model)?.notifications.get(codename);
  }

  /** Channel keys a template of this notification may use, with labels. */
  channelChoices(notification: { model: string; actorModel: string | null; targetModel: string | null }): ChannelChoice[] {
    const choices: ChannelChoice[] = [SITE_CONTACTS];
    for (const { role, channelPrefix, labelPrefix } of ROLES) {
      const modelName = modelForRole(notification, role);
      if (!modelName || !this.#models.has(modelName)) continue;
      for (const channel of this.get(modelName).channels.values()) {
        const label = channel.key === '' && role !== 'object' ? labelPrefix.replace(/'s $/, '') : labelPrefix + channel.label;
        choices.push({ key: channel.key === '' ? channelPrefix : `${channelPrefix}:${channel.key}`, label, recipientModel: channel.recipientModel });
      }
    }
    return choices;
  }

  /** Attachments a template of this notification may choose, following relations up to depth 3. */
  attachmentChoices(notification: { model: string; actorModel: string | null; targetModel: string | null }): AttachmentChoice[] {
    const choices: AttachmentChoice[] = [];
    const walk = (modelName: string, keyPrefix: string, labelPrefix: string, depth: number) => {
      const model = this.#models.get(modelName);
      if (!model) return;
      for (const [key, spec] of model.attachments) choices.push({ key: `${keyPrefix}.${key}`, label: labelPrefix + spec.label });
      if (depth >= MAX_RELATION_DEPTH) return;
      for (const [key, relation] of model.relations) walk(relation.model, `${keyPrefix}.${key}`, `${labelPrefix}${relation.label} / `, depth + 1);
    };
    for (const { role } of ROLES) {
      const modelName = modelForRole(notification, role);
      if (modelName) walk(modelName, role, role === 'object' ? '' : `${capitalise(role)} / `, 0);
    }
    return choices;
  }
}

/** The model playing `role` in a notification, if any. */
export function modelForRole(notification: { model: string; actorModel: string | null; targetModel: string | null }, role: Role): string | null {
  return role === 'object' ? notification.model : role === 'actor' ? notification.actorModel : notification.targetModel;
}

/** The registered name a model reference points to. */
export function refName(ref: ModelRef): string {
  return typeof ref === 'string' ? ref : ref.name;
}

function normaliseNotifications(model: string, spec: NotificationsSpec): Map<string, NotificationDef> {
  const result = new Map<string, NotificationDef>();
  for (const [codename, value] of Object.entries(spec)) {
    if (!/^[a-z0-9_]+$/i.test(codename)) {
      throw new VoxError(ErrorCode.configuration, `notification codename ${JSON.stringify(codename)} of ${model} must be a word (letters, digits, _)`);
    }
    const long = typeof value === 'string' ? { description: value } : value;
    result.set(codename, {
      id: `${model}.${codename}`,
      model,
      codename,
      description: long.description,
      actorModel: long.actor === undefined ? null : refName(long.actor),
      targetModel: long.target === undefined ? null : refName(long.target),
      required: long.required ?? false,
      category: categoryOf(`${model}.${codename}`, long.category),
      defaults: { ...long.defaults },
    });
  }
  return result;
}

function categoryOf(notification: string, spec: NotificationSpec['category']): NotificationDef['category'] {
  if (spec === undefined) return null;
  const { key, label } = typeof spec === 'string' ? { key: spec, label: capitalise(spec) } : spec;
  if (typeof key !== 'string' || !/^[a-z0-9_-]{1,64}$/i.test(key)) {
    throw new VoxError(ErrorCode.configuration, `category ${JSON.stringify(key)} of ${notification} must be 1 to 64 letters, digits, _ or -`);
  }
  if (typeof label !== 'string' || label.trim() === '') throw new VoxError(ErrorCode.configuration, `category ${key} of ${notification} needs a label`);
  return { key, label };
}

function normaliseChannels(model: string, modelLabel: string, spec: Readonly<Record<string, unknown>>): Map<string, ChannelDef> {
  const result = new Map<string, ChannelDef>();
  for (const [key, value] of Object.entries(spec)) {
    if (value === undefined) continue;
    if (value === true || (typeof value === 'object' && value !== null && !('resolve' in value))) {
      if (key !== 'self') throw new VoxError(ErrorCode.configuration, `channel ${model}.${key} needs a resolve function (only "self" may be true)`);
      const label = value === true ? modelLabel : (value as { label: string }).label;
      result.set('', { key: '', label, recipientModel: model, resolve: async (o) => [o] });
      continue;
    }
    const channel = value as ChannelSpec<unknown> | OwnChannelSpec<unknown>;
    if (typeof channel.resolve !== 'function') throw new VoxError(ErrorCode.configuration, `channel ${model}.${key} needs a resolve function`);
    result.set(key, {
      key,
      label: channel.label ?? capitalise(key),
      recipientModel: channel.recipients === undefined ? model : refName(channel.recipients),
      resolve: async (o) => channel.resolve(o),
    });
  }
  return result;
}

/** `author_name` → `Author name`. */
export function capitalise(text: string): string {
  const words = text.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A model's id of an object: a non-empty string or a finite number, as text; a coded error otherwise. */
function checkedId(model: string, id: () => unknown): string {
  let value: unknown;
  try {
    value = id();
  } catch (error) {
    throw new VoxError(ErrorCode.invalidInput, `${model}: its id function threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isFinite(value))) return String(value);
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'object' && value !== null ? 'an object' : typeof value === 'string' ? 'an empty string' : String(value);
  throw new VoxError(ErrorCode.invalidInput, `${model}: an id must be a non-empty string or a finite number, not ${shown}`);
}

