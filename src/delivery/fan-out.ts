/** Fan-out: an issue's templates → channels → recipients → contacts, screened (suppressions, then preferences) → rendered messages written to the log. */
import type { NewMessage } from '../store/rows.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import type { MessagePayload, UnsubscribeLinks } from '../vocabulary/payload.ts';
import type { NotificationRecord, TemplateRecord } from '../vocabulary/records.ts';
import { ROLES, modelForRole } from '../registry/registry.ts';
import { composeContext, type Composed, type Composer, type IssueVariables, type PreparedMessage, type RecipientEntry } from './composing.ts';
import { contactsOf, notificationRef, resolveAttachments, viewOf, type IssueObjects, type View } from './context.ts';
import { effectiveDigest } from '../vocabulary/digest.ts';
import { DigestGatherer, singleEventDigest } from './digests.ts';
import { overflowDigest, throttled } from './throttling.ts';
import { releaseAt } from './quiet-hours.ts';
import type { Engine } from './engine.ts';
import { unsubscribeTopic } from './links.ts';
import { failureOf, messageKey, unknownBackend } from './outcomes.ts';
import { nextAttempt } from './retry.ts';
import { screen, screenedInBatches, type Screenable } from './screening.ts';
import { shareTheLoop } from './turns.ts';

/** What a channel resolver stream yields: a recipient with its contacts, or why one could not be had. */
type RecipientItem =
  | { readonly kind: 'recipient'; readonly view: () => Promise<View>; readonly contacts: readonly Contact[]; readonly recipient: Screenable['recipient']; readonly zone?: unknown }
  | { readonly kind: 'failure'; readonly error: VoxError; readonly key: string };

/** What one issue is about, during its fan-out. */
interface IssueState {
  readonly issueId: number;
  readonly notification: NotificationRecord;
  readonly objects: IssueObjects;
  readonly variables: IssueVariables;
  /** When this worker last took or renewed the issue's lease (ms since the epoch). */
  leaseRenewedAt: number;
}

/** A message to render and write, or a failure to write, during fan-out. */
type Planned =
  | { readonly kind: 'send'; readonly to: readonly Contact[]; readonly own: Record<string, unknown>; readonly key: string; readonly unsubscribe?: UnsubscribeLinks; readonly holdUntil?: number; readonly who?: Screenable['recipient']; readonly zone?: unknown }
  | { readonly kind: 'failure'; readonly to: readonly Contact[]; readonly error: unknown; readonly key: string }
  | { readonly kind: 'skipped'; readonly to: readonly Contact[]; readonly error: VoxError; readonly key: string };

/** Renders messages of the template being fanned out, in order. */
type Render = (entries: readonly RecipientEntry[]) => Promise<(Composed | Error)[]>;

/**
 * Messages rendered, then written to the log in one statement: few, so that rendered messages are
 * short-lived garbage rather than a batch that outlives several young-generation collections.
 */
const WRITE_ROWS = 100;
/**
 * Messages rendered at a time, with a turn of the event loop between: a statement's worth printed
 * and composed in one go, after a batch's planning, held the host's loop for over 10 ms.
 */
const RENDER_ROWS = 25;
/** Objects passed to notify() are used as they are by a worker of the same process, for this long. */
const LIVE_OBJECTS_MS = 60_000;
/** How often a fan-out that holds back looks at the backlog again. */
const HOLD_POLL_MS = 100;
/**
 * A fan-out stops holding back once its backend's backlog has not shrunk for this long: nothing is
 * sending it (every slot of the queue may be fanning out), so waiting would only delay.
 */
const HOLD_PATIENCE_MS = 3000;
/** Fan-outs tried before an issue is marked failed. */
const FAN_OUT_ATTEMPTS = 5;
/**
 * Addresses remembered per template to skip rendering duplicates; the log's unique key does the
 * rest. Bounded, so that the memory a fan-out holds does not grow with its size.
 */
const SEEN_ADDRESSES = 10_000;

/**
 * The objects notify() was given, kept for this process's worker, which then needs no re-load.
 * Only worth it, and only bounded, when this process runs a worker: `enabled` says so.
 */
export class LiveObjects {
  enabled = false;
  readonly #entries = new Map<number, { readonly objects: IssueObjects; readonly at: number }>();

  keep(issueId: number, objects: IssueObjects): void {
    if (this.enabled) this.#entries.set(issueId, { objects, at: Date.now() });
  }

  take(issueId: number): IssueObjects | undefined {
    return this.#entries.get(issueId)?.objects;
  }

  forget(issueId: number): void {
    this.#entries.delete(issueId);
  }

  /** Forgets objects of issues that were never fanned out here (their transaction rolled back). */
  prune(): void {
    const cutoff = Date.now() - LIVE_OBJECTS_MS;
    for (const [id, entry] of this.#entries) if (entry.at < cutoff) this.#entries.delete(id);
  }
}

/** Fans issues out into messages in the log. */
export class FanOut {
  readonly #engine: Engine;
  readonly #composer: Composer;
  readonly #live: LiveObjects;

  constructor(engine: Engine, composer: Composer, live: LiveObjects) {
    this.#engine = engine;
    this.#composer = composer;
    this.#live = live;
  }

  /**
   * Fans one issue out into messages. Safe to run again after a crash: existing messages are kept.
   * Once `stop()` says so, it no longer holds back for sending (see {@link FanOut.#holdBack}).
   */
  async fanOut(issueId: number, stop: () => boolean = () => false): Promise<void> {
    // A turn of the event loop first: on SQLite every await below may resolve at once, and a
    // worker catching up on many small issues would otherwise hold the host's thread throughout.
    await new Promise((resolve) => setImmediate(resolve));
    const claimedAt = Date.now();
    if (!(await this.#engine.store.issues.claim(issueId, this.#engine.settings.leaseMs))) return;
    try {
      const found = await this.#composer.issueOf(issueId);
      if (!found) throw new VoxError(ErrorCode.notFound, `issue ${issueId} lost its notification`);
      const { notification } = found;
      const objects = this.#live.take(issueId) ?? (await this.#composer.objectsOf(found.issue, true));
      const variables = await this.#composer.variables(notification, objects);
      const state: IssueState = { issueId, notification, objects, variables, leaseRenewedAt: claimedAt };
      for (const template of await this.#engine.store.templates.list({ notificationId: notification.id, enabledOnly: true })) {
        await this.#fanOutTemplate(state, template, stop);
      }
      await this.#engine.store.issues.finish(issueId, 'done');
    } catch (error) {
      // A database blip or a failing load() may pass: try again later, a few times, then give up.
      const issue = await this.#engine.store.issues.get(issueId).catch(() => undefined);
      const attempt = issue?.attempts ?? FAN_OUT_ATTEMPTS;
      if (attempt < FAN_OUT_ATTEMPTS) {
        const next = nextAttempt(this.#engine.settings.retry, attempt, false, Math.random());
        await this.#engine.store.issues.defer(issueId, next.retry ? next.delayMs : this.#engine.settings.retry.initialDelayMs, errorText(error));
      } else {
        await this.#engine.store.issues.finish(issueId, 'failed', errorText(error));
      }
    } finally {
      this.#live.forget(issueId);
      this.#engine.events.emit('progress');
    }
  }

  /** Fans one template out, writing messages in batches so that memory stays flat. Failures become log rows. */
  async #fanOutTemplate(state: IssueState, template: TemplateRecord, stop: () => boolean): Promise<void> {
    const prefix = `i${state.issueId}:t${template.id}`;
    const backend = this.#engine.backends.get(template.backend);
    if (!backend) {
      await this.#write(state, template, template.backend, 'unknown', [{ kind: 'failure', to: [], error: unknownBackend(template.backend), key: `${prefix}:backend` }], undefined);
      return;
    }
    let attachments: MessagePayload['attachments'];
    try {
      attachments = backend.capabilities.attachments && template.attachments.length > 0
        ? await resolveAttachments(this.#engine.registry, state.notification, state.objects, template.attachments, this.#engine.settings.attachmentBytes)
        : undefined;
    } catch (error) {
      await this.#write(state, template, backend.id, backend.protocol, [{ kind: 'failure', to: [], error, key: `${prefix}:attachments` }], undefined);
      return;
    }
    // A digest notification's recipients get events in their digests instead of messages now. A
    // template sending at once still sees `digest`, as a digest of this one event.
    const declared = this.#engine.registry.digestOf(state.notification);
    const digest = effectiveDigest(template, declared, state.notification.key);
    // A throttled notification: what is over the recipient's limit is skipped, or gathered into a digest.
    const throttle = digest === null && !template.bulk ? this.#engine.registry.throttleOf(state.notification) : null;
    const digestible = declared !== null || throttle?.over === 'digest';
    const shared = digest === null && digestible && !template.bulk ? { ...state.variables, digest: singleEventDigest(state.variables) } : { ...state.variables };
    // Prepared at the first message; rendering runs on the render thread, a batch at a time.
    let prepared: PreparedMessage | undefined;
    const render: Render = (entries) => {
      prepared ??= this.#composer.prepare(template, backend, shared);
      return prepared.composeMany(entries, attachments);
    };
    const overflow = throttle?.over === 'digest' ? new DigestGatherer(this.#engine, overflowDigest(throttle), state.issueId, state.notification, template, state.objects) : undefined;
    let batch: Planned[] = [];
    let pacing = true;
    const flush = async () => {
      if (pacing) pacing = await this.#holdBack(state, backend.id, stop);
      if (throttle) batch = await throttled(this.#engine, state.notification.key, backend.protocol, batch, throttle, overflow);
      await this.#write(state, template, backend.id, backend.protocol, batch, render);
      batch = [];
    };
    const plan = async (item: Planned) => {
      batch.push(item);
      if (batch.length >= this.#engine.settings.batchSize) await flush();
    };
    // Two addresses the backend takes for one recipient (an email domain's case) get one message.
    const addressKey = backend.addressKey ? (address: string) => backend.addressKey!(address) : (address: string) => address;
    const keyOf = (to: readonly Contact[]) => messageKey(state.issueId, template.id, to, addressKey);
    const seen = new Set<string>();
    // Quiet hours, when configured: what they need of the notification, once per template.
    const quiet = this.#engine.settings.quietHours;
    const heldAs = { required: state.notification.required, category: state.notification.category?.key ?? null };
    const gatherer = digest && new DigestGatherer(this.#engine, digest, state.issueId, state.notification, template, state.objects);
    let bulk: Contact[] = [];
    const chunk = backend.capabilities.maxRecipients ?? Number.POSITIVE_INFINITY;
    // Each recipient's links cost an HMAC: made only for email (its headers) or a template that reads them.
    const links = backend.protocol === 'email' || /unsubscribe_url|preferences_url/.test(`${template.subject}\n${template.content}`) ? this.#engine.settings.links : undefined;
    const topic = unsubscribeTopic(state.notification);
    // Suppressions and preferences are read for a batch of recipients at once.
    const screened = screenedInBatches(
      this.#recipients(state, template, backend.protocol, prefix),
      this.#engine.settings.batchSize,
      (item): item is Extract<RecipientItem, { kind: 'recipient' }> => item.kind === 'recipient',
      (batch) => screen(this.#engine.store, state.notification, backend.protocol, batch),
    );
    for await (const { item, verdicts } of screened) {
      // Each recipient's links cost an HMAC and its message a plan: a batch's worth would hold the loop.
      await shareTheLoop();
      if (item.kind === 'failure') {
        await plan({ kind: 'failure', to: [], error: item.error, key: item.key });
        continue;
      }
      for (const [index, contact] of item.contacts.entries()) {
        const address = addressKey(contact.address);
        if (seen.has(address)) continue;
        if (!template.bulk && seen.size >= SEEN_ADDRESSES) seen.clear();
        seen.add(address);
        const skip = verdicts?.[index];
        if (skip) {
          await plan({ kind: 'skipped', to: [contact], error: skip, key: keyOf([contact]) });
          continue;
        }
        if (template.bulk) {
          bulk.push(contact);
          if (bulk.length >= chunk) {
            await plan({ kind: 'send', to: bulk, own: {}, key: keyOf(bulk) });
            bulk = [];
          }
          continue;
        }
        try {
          const recipient = await item.view();
          const linked = item.recipient && links?.forRecipient(topic, item.recipient.model, item.recipient.id, contact);
          const own = { recipient, contact: { ...contact }, ...linked?.variables };
          if (gatherer) await gatherer.add(contact, address, own, item.recipient, item.zone);
          else {
            const holdUntil = quiet && releaseAt(quiet, heldAs, item.zone);
            await plan({ kind: 'send', to: [contact], own, key: keyOf([contact]), who: item.recipient, zone: item.zone, ...(linked?.unsubscribe ? { unsubscribe: linked.unsubscribe } : {}), ...(holdUntil === undefined ? {} : { holdUntil }) });
          }
        } catch (error) {
          await plan({ kind: 'failure', to: [contact], error, key: keyOf([contact]) });
        }
      }
    }
    if (bulk.length > 0) await plan({ kind: 'send', to: bulk, own: {}, key: keyOf(bulk) });
    await gatherer?.flush();
    await flush();
    await overflow?.flush();
  }

  /**
   * Waits while more than `fanOutLead` messages of the backend are due and unsent, so that a large
   * fan-out keeps pace with sending: running far ahead of it, the fan-out competes with sending
   * for the host's CPU, and writes messages that only wait. Resolves to whether
   * the fan-out should hold back again at its next batch: false when holding back is off, when the
   * worker is stopping, or when the backlog stopped shrinking (then the fan-out goes on at full
   * speed, as nothing here is sending its messages).
   */
  async #holdBack(state: IssueState, backendId: string, stop: () => boolean): Promise<boolean> {
    const { fanOutLead: lead } = this.#engine.settings;
    if (lead <= 0) return false;
    const { claims } = this.#engine.store;
    // Looking at twice the lead tells a backlog that shrinks from one that is far larger.
    let due = await claims.dueOf(backendId, 2 * lead);
    let lowest = due;
    let shrankAt = Date.now();
    while (due > lead) {
      if (stop() || Date.now() - shrankAt > HOLD_PATIENCE_MS) return false;
      await new Promise((resolve) => setTimeout(resolve, HOLD_POLL_MS));
      due = await claims.dueOf(backendId, 2 * lead);
      if (due < lowest) {
        lowest = due;
        shrankAt = Date.now();
      }
      await this.#keepLease(state);
    }
    return true;
  }

  /** Streams the template's recipients, channel by channel; failures are yielded, never thrown. */
  async *#recipients(state: IssueState, template: TemplateRecord, protocol: string, prefix: string): AsyncGenerator<RecipientItem> {
    const ref = notificationRef(state.notification);
    for (const key of template.recipients) {
      try {
        if (key === 'si') {
          for (const site of await this.#engine.store.siteContacts.list({ protocol })) {
            const setting = site.settings[state.notification.key];
            const enabled = site.enableFilter === 'whitelist' ? setting === true : setting !== false;
            if (!enabled) continue;
            const view = { name: site.name, protocol: site.protocol, address: site.address };
            yield { kind: 'recipient', view: async () => view, contacts: [{ name: site.name, protocol, address: site.address }], recipient: null };
          }
          continue;
        }
        const [channelPrefix, channelKey = ''] = key.split(':') as [string, string?];
        const role = ROLES.find((r) => r.channelPrefix === channelPrefix)?.role;
        if (!role) throw new VoxError(ErrorCode.channel, `unknown recipients key ${JSON.stringify(key)}`);
        const modelName = modelForRole(state.notification, role);
        const source = state.objects[role];
        if (!modelName || source === undefined) throw new VoxError(ErrorCode.channel, `recipients ${key}: this notification has no ${role}`);
        const channel = this.#engine.registry.get(modelName).channels.get(channelKey);
        if (!channel) throw new VoxError(ErrorCode.channel, `recipients ${key}: ${modelName} has no channel ${JSON.stringify(channelKey || 'self')}`);
        const recipientModel = this.#engine.registry.get(channel.recipientModel);
        const contactsFn = recipientModel.contacts.get(protocol);
        if (!contactsFn) continue;
        for await (const object of await channel.resolve(source)) {
          if (object === null || object === undefined) continue;
          // A channel's objects may all be at hand: reading a batch's worth of contacts would hold the loop.
          await shareTheLoop();
          let identity = `${recipientModel.name}:(no id)`;
          try {
            const id = recipientModel.idOf(object);
            identity = `${recipientModel.name}:${id}`;
            const contacts = await contactsOf(contactsFn(object, ref), protocol, '');
            let view: Promise<View> | undefined;
            const zone = recipientModel.options.timezone?.(object);
            yield { kind: 'recipient', view: () => (view ??= viewOf(recipientModel, object)), contacts, recipient: { model: recipientModel.name, id }, zone };
          } catch (error) {
            yield { kind: 'failure', error: new VoxError(ErrorCode.contacts, `contacts of ${identity} failed: ${errorText(error)}`, { cause: error }), key: `${prefix}:contacts:${identity}` };
          }
        }
      } catch (error) {
        const failure = error instanceof VoxError ? error : new VoxError(ErrorCode.channel, `recipients ${key} failed: ${errorText(error)}`, { cause: error });
        yield { kind: 'failure', error: failure, key: `${prefix}:channel:${key}` };
      }
    }
  }

  /**
   * Renders a batch of planned messages and writes them to the log, a few rows per statement, then
   * wakes a sender. Each statement's rows are rendered together on the render thread; composing
   * them gives the host's event loop turns between messages.
   */
  async #write(state: IssueState, template: TemplateRecord, backendId: string, protocol: string, batch: readonly Planned[], render: Render | undefined): Promise<void> {
    if (batch.length === 0) return;
    const origin = { issueId: state.issueId, notificationId: state.notification.id, notification: state.notification.key, templateId: template.id, backend: backendId, protocol };
    let queued = false;
    for (let at = 0; at < batch.length; at += WRITE_ROWS) {
      const plans = batch.slice(at, at + WRITE_ROWS);
      const sends = plans.filter((p) => p.kind === 'send');
      const composed: (Composed | Error)[] = [];
      if (render) {
        for (let from = 0; from < sends.length; from += RENDER_ROWS) {
          await shareTheLoop();
          const entries = sends.slice(from, from + RENDER_ROWS).map((p) => ({ variables: p.own, context: composeContext(state.notification, state.objects, p.to), unsubscribe: p.unsubscribe }));
          composed.push(...(await render(entries)));
        }
      }
      const rows: NewMessage[] = [];
      let next = 0;
      for (const plan of plans) {
        await shareTheLoop();
        rows.push(this.#row(state, origin, plan, render && plan.kind === 'send' ? composed[next++] : undefined));
      }
      queued ||= rows.some((r) => r.status === 'queued');
      await this.#engine.store.messages.insertMany(rows);
    }
    await this.#keepLease(state);
    if (queued) this.#engine.wake({ kind: 'send' }, 0);
  }

  /**
   * Keeps the issue while a long fan-out goes on (writing, or holding back for sending), so that no
   * other worker starts it again: renewed once a quarter of the lease has passed since this worker
   * took or last renewed it, not after every batch (a statement per 100 messages).
   */
  async #keepLease(state: IssueState): Promise<void> {
    const { leaseMs } = this.#engine.settings;
    if (Date.now() - state.leaseRenewedAt < leaseMs / 4) return;
    state.leaseRenewedAt = Date.now();
    await this.#engine.store.issues.renewLease(state.issueId, leaseMs);
  }

  /** One planned message as a row of the log: rendered and queued, or failed with its reason. */
  #row(state: IssueState, origin: Omit<NewMessage, 'to' | 'status' | 'idempotencyKey'>, plan: Planned, composed: Composed | Error | undefined): NewMessage {
    const idempotencyKey = plan.key;
    if (plan.kind === 'skipped') return { ...origin, to: plan.to, status: 'skipped', error: plan.error.message, errorCode: plan.error.code, permanent: false, idempotencyKey };
    if (plan.kind === 'failure' || composed === undefined) {
      const error = plan.kind === 'failure' ? plan.error : unknownBackend(origin.backend);
      return { ...origin, to: plan.to, status: 'failed', ...failureOf(error), permanent: true, idempotencyKey };
    }
    if (composed instanceof Error) {
      return { ...origin, to: plan.to, renderContext: { ...state.variables, ...plan.own }, status: 'failed', ...failureOf(composed), permanent: true, idempotencyKey };
    }
    const held = plan.kind === 'send' && plan.holdUntil !== undefined ? { nextAttemptAt: new Date(plan.holdUntil).toISOString() } : {};
    return { ...origin, to: plan.to, from: composed.from ?? null, payload: composed.payload, status: 'queued', idempotencyKey, ...held };
  }
}
