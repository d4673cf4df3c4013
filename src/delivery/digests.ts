/**
 * Digests: during fan-out, a digest notification's messages become events in their recipients'
 * open digests; once a digest is due, one worker claims it and writes the one message it becomes.
 */
import type { DigestEvent, ClaimedDigest } from '../store/digests.ts';
import type { NewMessage } from '../store/rows.ts';
import type { Backend } from '../vocabulary/backend.ts';
import type { Contact } from '../vocabulary/contact.ts';
import type { DigestSettings } from '../vocabulary/digest.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { NotificationRecord, TemplateRecord } from '../vocabulary/records.ts';
import { composeContext, type Composed, type Composer } from './composing.ts';
import { notificationRef, type IssueObjects } from './context.ts';
import type { Engine } from './engine.ts';
import { failureOf, messageKey } from './outcomes.ts';

/** Events gathered before they are written, as the fan-out writes messages. */
const GATHER_ROWS = 100;
/** Digests one worker claims per round. */
const CLAIM = 20;
/** Actors listed in `digest.actors`. */
const ACTORS = 100;

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

  /** One recipient's event; `address` as the backend compares addresses. */
  async add(contact: Contact, address: string, own: Readonly<Record<string, unknown>>): Promise<void> {
    this.#events.push({
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

/** A digest's message as rendered, with the variables a resend needs when rendering failed. */
interface Rendered {
  readonly composed: Composed | Error | undefined;
  readonly renderContext: Record<string, unknown>;
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
   * Claims due digests, a few at a time, and writes each one's message to the log (its key is the
   * digest's, so a digest closed again after a crash writes nothing twice). Returns how many closed.
   */
  async closeDue(stop: () => boolean = () => false): Promise<number> {
    const { store, settings } = this.#engine;
    let closed = 0;
    while (!stop()) {
      const digests = await store.digests.claimDue(CLAIM, settings.leaseMs);
      if (digests.length === 0) break;
      for (const digest of digests) {
        await this.#close(digest);
        closed++;
      }
      this.#engine.wake({ kind: 'send' }, 0);
      this.#engine.events.emit('progress');
    }
    return closed;
  }

  async #close(digest: ClaimedDigest): Promise<void> {
    const { store, backends } = this.#engine;
    const template = await store.templates.get(digest.template_id);
    const notification = await store.notifications.require(digest.notification).catch(() => undefined);
    const backend = template && backends.get(template.backend);
    const settings = notification && this.#engine.registry.digestOf(notification);
    const keep = settings?.items ?? { keep: 'last' as const, count: 10 };
    const { total, items } = await store.digests.items(digest.id, keep.keep, keep.count);
    if (!template || !notification || !backend || total === 0) {
      // Its template or notification was deleted since, or a re-run left it empty: nothing to send.
      await store.digests.close(digest.id, null);
      return;
    }
    const last = items.at(keep.keep === 'last' ? -1 : 0);
    const lastIssue = last?.issueId === digest.last_issue_id ? last : (await store.digests.items(digest.id, 'last', 1)).items[0];
    const contact = JSON.parse(digest.contact) as Contact;
    const objects: IssueObjects = { object: lastIssue?.object, actor: lastIssue?.actor?.snapshot ?? undefined, target: lastIssue?.target ?? undefined };
    const shared: Record<string, unknown> = {
      object: objects.object,
      content: objects.object,
      ...(objects.actor === undefined ? {} : { actor: objects.actor }),
      ...(objects.target === undefined ? {} : { target: objects.target }),
      notification: notificationRef(notification),
      site: this.#engine.settings.site,
      digest: {
        count: total,
        items: items.map((item) => ({ object: item.object, actor: item.actor?.snapshot ?? null, target: item.target, time: item.createdAt })),
        actors: await store.digests.actors(digest.id, ACTORS),
        truncated: total > items.length,
        left_out: total - items.length,
      },
    };
    const own = JSON.parse(digest.recipient) as Record<string, unknown>;
    const key = `digest:${digest.id}`;
    await store.messages.insertMany([this.#message(template, backend, notification, digest, contact, key, await this.#render(template, backend, shared, own, notification, objects, contact))]);
    await store.digests.close(digest.id, key);
  }

  async #render(template: TemplateRecord, backend: Backend, shared: Record<string, unknown>, own: Record<string, unknown>, notification: NotificationRecord, objects: IssueObjects, contact: Contact): Promise<Rendered> {
    const [composed] = await this.#composer
      .prepare(template, backend, shared, { once: true })
      .composeMany([{ variables: own, context: composeContext(notification, objects, [contact]) }], undefined);
    return { composed, renderContext: { ...shared, ...own } };
  }

  #message(template: TemplateRecord, backend: Backend, notification: NotificationRecord, digest: ClaimedDigest, contact: Contact, key: string, rendered: Rendered): NewMessage {
    const origin = { issueId: digest.last_issue_id, notificationId: notification.id, notification: notification.key, templateId: template.id, backend: backend.id, protocol: backend.protocol, to: [contact], idempotencyKey: key };
    const { composed, renderContext } = rendered;
    if (!composed || composed instanceof Error) {
      return { ...origin, renderContext, status: 'failed', ...failureOf(composed ?? new Error('nothing was rendered')), permanent: true };
    }
    return { ...origin, from: composed.from ?? null, payload: composed.payload, status: 'queued' };
  }
}
