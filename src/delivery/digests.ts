/**
 * Digests: during fan-out, a digest notification's messages become events in their recipients'
 * open digests; once a digest is due, one worker claims it and writes the one message it becomes.
 */
import { DIGEST_KEY_PREFIX, type ClaimedDigest, type DigestEvent, type DigestItemRow } from '../store/digests.ts';
import type { NewMessage } from '../store/rows.ts';
import type { Backend } from '../vocabulary/backend.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { effectiveDigest, type DigestSettings } from '../vocabulary/digest.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { NotificationRecord, TemplateRecord } from '../vocabulary/records.ts';
import { composeContext, type Composer, type IssueVariables } from './composing.ts';
import { notificationRef, type IssueObjects } from './context.ts';
import type { Engine } from './engine.ts';
import { failureOf, messageKey } from './outcomes.ts';
import { releaseAt } from './quiet-hours.ts';
import { screen } from './screening.ts';

/** Events gathered before they are written, as the fan-out writes messages. */
const GATHER_ROWS = 100;
/** Digests one worker claims per round. */
const CLAIM = 20;
/** Which events `digest.items` holds when the declaration is gone (a notification removed from code). */
const DEFAULT_ITEMS = { keep: 'last', count: 10 } as const;
/** Actors listed in `digest.actors`. */
const ACTORS = 100;

/** `digest` for a message sent at once (a template whose digest is off): a digest of its one event. */
export function singleEventDigest(variables: IssueVariables): Record<string, unknown> {
  return {
    count: 1,
    items: [{ object: variables.object, actor: variables.actor ?? null, target: variables.target ?? null, time: new Date().toISOString() }],
    actors: variables.actor === undefined ? [] : [variables.actor],
    truncated: false,
    left_out: 0,
  };
}

/** Adds one template's recipients of one issue to their digests, a batch at a time. */
export class DigestGatherer {
  readonly #engine: Engine;
  readonly #settings: DigestSettings;
  readonly #issueId: number;
  readonly #notification: NotificationRecord;
  readonly #template: TemplateRecord;
  readonly #digestKey: string;
  #events: DigestEvent[] = [];

  constructor(engine: Engine, settings: DigestSettings, issueId: number, notification: NotificationRecord, template: TemplateRecord, objects: IssueObjects) {
    this.#engine = engine;
    this.#settings = settings;
    this.#issueId = issueId;
    this.#notification = notification;
    this.#template = template;
    this.#digestKey = keyOf(engine, settings, notification, objects);
  }

  /**
   * One recipient's event; `address` as the backend compares addresses; `who` the recipient (null
   * for a site contact) and `zone` its time zone, for what the digest's close screens and holds.
   */
  async add(contact: Contact, address: string, own: Readonly<Record<string, unknown>>, who: DigestEvent['who'], zone: unknown): Promise<void> {
    this.#events.push({
      who,
      zone: typeof zone === 'string' ? zone : null,
      templateId: this.#template.id,
      notification: this.#notification.key,
      address,
      digestKey: this.#digestKey,
      contact,
      recipient: own,
      issueId: this.#issueId,
      eventKey: `${messageKey(this.#issueId, this.#template.id, [contact], () => address)}:${this.#digestKey}`,
    });
    if (this.#events.length >= GATHER_ROWS) await this.flush();
  }

  async flush(): Promise<void> {
    const events = this.#events;
    this.#events = [];
    await this.#engine.store.digests.add(events, this.#settings);
  }
}

/** The digest key of an issue: the id of its object, actor or target, or the declaration's function of them. */
function keyOf(engine: Engine, settings: DigestSettings, notification: NotificationRecord, objects: IssueObjects): string {
  if (typeof settings.key === 'function') {
    const key = settings.key({ object: objects.object, actor: objects.actor, target: objects.target });
    if ((typeof key !== 'string' && typeof key !== 'number') || String(key).length > 200) {
      throw new VoxError(ErrorCode.invalidDigest, `the digest key function of ${notification.key} must return a string or number of at most 200 characters, not ${JSON.stringify(key)}`);
    }
    return `fn:${key}`;
  }
  const model = settings.key === 'object' ? notification.model : settings.key === 'actor' ? notification.actorModel : settings.key === 'target' ? notification.targetModel : null;
  const value = settings.key === null ? undefined : objects[settings.key];
  return model === null || value === undefined ? '' : `${model}:${engine.registry.get(model).idOf(value)}`;
}

/** Which events a template's digests show; undefined when its digest was since turned off or broken (the default then). */
function digestItems(template: TemplateRecord, declared: DigestSettings | null, where: string): DigestSettings['items'] | undefined {
  try {
    return effectiveDigest(template, declared, where)?.items;
  } catch {
    return undefined;
  }
}

/** Closes due digests into messages. */
export class DigestCloser {
  readonly #engine: Engine;
  readonly #composer: Composer;

  constructor(engine: Engine, composer: Composer) {
    this.#engine = engine;
    this.#composer = composer;
  }

  /**
   * Claims due digests, a batch at a time, and writes each one's message to the log (its key is the
   * digest's, so a digest closed again after a crash writes nothing twice). Returns how many closed.
   */
  async closeDue(stop: () => boolean = () => false): Promise<number> {
    const { store, settings } = this.#engine;
    let closed = 0;
    while (!stop()) {
      const digests = await store.digests.claimDue(CLAIM, settings.leaseMs);
      if (digests.length === 0) break;
      await this.#close(digests);
      closed += digests.length;
      this.#engine.wake({ kind: 'send' }, 0);
      this.#engine.events.emit('progress');
    }
    return closed;
  }

  /** Closes a batch of claimed digests: a few statements for the batch, one render each. */
  async #close(digests: readonly ClaimedDigest[]): Promise<void> {
    const { store, backends, registry } = this.#engine;
    const templates = new Map<number, TemplateRecord | undefined>();
    const notifications = new Map<string, NotificationRecord | undefined>();
    for (const d of digests) {
      if (!templates.has(d.template_id)) templates.set(d.template_id, await store.templates.get(d.template_id));
      if (!notifications.has(d.notification)) notifications.set(d.notification, await store.notifications.require(d.notification).catch(() => undefined));
    }
    // Digests whose notification keeps the same items are read together.
    const groups = new Map<string, { keep: 'first' | 'last'; count: number; ids: number[] }>();
    for (const d of digests) {
      const notification = notifications.get(d.notification);
      const template = templates.get(d.template_id);
      const keep = (notification && template && digestItems(template, registry.digestOf(notification), notification.key)) ?? DEFAULT_ITEMS;
      const group = groups.get(`${keep.keep}:${keep.count}`) ?? { ...keep, ids: [] };
      group.ids.push(d.id);
      groups.set(`${keep.keep}:${keep.count}`, group);
    }
    const items = new Map<number, { total: number; items: DigestItemRow[] }>();
    const latest = new Map<number, DigestItemRow | undefined>();
    for (const group of groups.values()) {
      for (const [id, found] of await store.digests.items(group.ids, group.keep, group.count)) {
        items.set(id, found);
        if (group.keep === 'last') latest.set(id, found.items.at(-1));
      }
      if (group.keep === 'first') for (const [id, found] of await store.digests.items(group.ids, 'last', 1)) latest.set(id, found.items[0]);
    }
    const actors = await store.digests.actors(digests.map((d) => d.id), ACTORS);
    const verdicts = await this.#screen(digests, templates, notifications);
    const messages = await Promise.all(
      digests.map(async (digest) => {
        const template = templates.get(digest.template_id);
        const notification = notifications.get(digest.notification);
        const backend = template && backends.get(template.backend);
        const found = items.get(digest.id);
        // Its template or notification was deleted since, or a re-run left it empty: nothing to send.
        if (!template || !notification || !backend || !found || found.total === 0) return undefined;
        return this.#message(digest, template, backend, notification, found, latest.get(digest.id), actors.get(digest.id) ?? [], verdicts.get(digest.id));
      }),
    );
    await store.messages.insertMany(messages.filter((m) => m !== undefined));
    await store.digests.close(digests.map((d) => d.id));
  }

  /**
   * Screens the digests again as they close, as the fan-out screened each event: a recipient who
   * opted out, or an address suppressed, while the digest gathered gets nothing. One screening per
   * notification and protocol. The reason of each digest screened out, by id.
   */
  async #screen(digests: readonly ClaimedDigest[], templates: ReadonlyMap<number, TemplateRecord | undefined>, notifications: ReadonlyMap<string, NotificationRecord | undefined>): Promise<Map<number, VoxError>> {
    const groups = new Map<string, { notification: NotificationRecord; protocol: string; digests: ClaimedDigest[] }>();
    for (const digest of digests) {
      const notification = notifications.get(digest.notification);
      const template = templates.get(digest.template_id);
      const protocol = template && this.#engine.backends.get(template.backend)?.protocol;
      if (!notification || !protocol) continue;
      const group = groups.get(`${notification.key}\n${protocol}`) ?? { notification, protocol, digests: [] };
      group.digests.push(digest);
      groups.set(`${notification.key}\n${protocol}`, group);
    }
    const screenedOut = new Map<number, VoxError>();
    for (const { notification, protocol, digests: group } of groups.values()) {
      const batch = group.map((d) => ({ recipient: d.recipient_model !== null && d.recipient_id !== null ? { model: d.recipient_model, id: d.recipient_id } : null, contacts: [JSON.parse(d.contact) as Contact] }));
      const verdicts = await screen(this.#engine.store, notification, protocol, batch);
      group.forEach((digest, i) => {
        const reason = verdicts[i]?.[0];
        if (reason) screenedOut.set(digest.id, reason);
      });
    }
    return screenedOut;
  }

  /**
   * The message a digest becomes, rendered with the variables of its latest event and `digest`:
   * with the unsubscribe headers its recipient's links give, held in the recipient's quiet hours;
   * or a `skipped` row when the digest was screened out.
   */
  async #message(digest: ClaimedDigest, template: TemplateRecord, backend: Backend, notification: NotificationRecord, found: { total: number; items: DigestItemRow[] }, last: DigestItemRow | undefined, actors: unknown[], screenedOut: VoxError | undefined): Promise<NewMessage> {
    const contact = JSON.parse(digest.contact) as Contact;
    const origin = { issueId: digest.last_issue_id, notificationId: notification.id, notification: notification.key, templateId: template.id, backend: backend.id, protocol: backend.protocol, to: [contact], idempotencyKey: `${DIGEST_KEY_PREFIX}${digest.id}` };
    if (screenedOut) return { ...origin, status: 'skipped', error: screenedOut.message, errorCode: screenedOut.code, permanent: false };
    const objects: IssueObjects = { object: last?.object, actor: last?.actor?.snapshot ?? undefined, target: last?.target ?? undefined };
    const shared: Record<string, unknown> = {
      object: objects.object,
      content: objects.object,
      ...(objects.actor === undefined ? {} : { actor: objects.actor }),
      ...(objects.target === undefined ? {} : { target: objects.target }),
      notification: notificationRef(notification),
      site: this.#engine.settings.site,
      digest: {
        count: found.total,
        items: found.items.map((item) => ({ object: item.object, actor: item.actor?.snapshot ?? null, target: item.target, time: item.createdAt })),
        actors,
        truncated: found.total > found.items.length,
        left_out: found.total - found.items.length,
      },
    };
    const own = JSON.parse(digest.recipient) as Record<string, unknown>;
    // The recipient's links were made when its events were gathered; its email's headers carry them.
    const unsubscribe = backend.protocol === 'email' ? this.#engine.settings.links?.fromVariables(own) : undefined;
    const [composed] = await this.#composer
      .prepare(template, backend, shared, { once: true })
      .composeMany([{ variables: own, context: composeContext(notification, objects, [contact]), unsubscribe }], undefined);
    if (!composed || composed instanceof Error) {
      return { ...origin, renderContext: { ...shared, ...own }, status: 'failed', ...failureOf(composed ?? new Error('nothing was rendered')), permanent: true };
    }
    const holdUntil = releaseAt(this.#engine.settings.quietHours, { required: notification.required, category: notification.category?.key ?? null }, digest.recipient_zone);
    return { ...origin, from: composed.from ?? null, payload: composed.payload, status: 'queued', ...(holdUntil === undefined ? {} : { nextAttemptAt: new Date(holdUntil).toISOString() }) };
  }
}
