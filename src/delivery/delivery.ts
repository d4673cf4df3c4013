import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Backend, ComposeContext, MessagePayload, OutboundMessage } from '../backends/backend.ts';
import { DeliveryError, ErrorCode, NothingSentError, VoxError, errorText } from '../errors.ts';
import type { Contact } from '../registry/contact.ts';
import type { IssueResult, IssueTicket, MessageOutcome, TransactionLike } from '../registry/model.ts';
import { ROLES, modelForRole, type ModelDef, type Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import type { Queue, QueueJob } from '../queue/queue.ts';
import type { SqlDialectName } from '../store/connect.ts';
import type { VoxDatabase } from '../store/schema.ts';
import { later, type ClaimedMessage, type IssueParty, type NewMessage, type NotificationRecord, type Store, type TemplateRecord } from '../store/store.ts';
import { contactsOf, notificationRef, resolveAttachments, viewOf, type IssueObjects, type View } from './context.ts';
import { Throttle, type BackendLimits } from './limits.ts';
import { nextAttempt, type RetryPolicy } from './retry.ts';

/** Settings the delivery engine needs from createVox. */
export interface DeliverySettings {
  readonly site: Readonly<Record<string, unknown>>;
  readonly attachmentBytes: number;
  readonly retry: Required<RetryPolicy>;
  /** Per-backend limits, by backend id. */
  readonly backendLimits: Readonly<Record<string, BackendLimits>>;
  /** How long a worker may hold an issue or a message before others take it to be lost. */
  readonly leaseMs: number;
  /** Messages rendered and written per database round trip during fan-out. */
  readonly batchSize: number;
  /** Messages a worker takes per send round; few, so that a crash leaves few in flight. */
  readonly sendBatchSize: number;
}

/** The template variables shared by every message of an issue. */
interface IssueVariables {
  readonly object: View;
  readonly content: View;
  readonly actor?: View;
  readonly target?: View;
  readonly notification: ReturnType<typeof notificationRef>;
  readonly site: Readonly<Record<string, unknown>>;
}

/** What a channel resolver stream yields: a recipient with its contacts, or why one could not be had. */
type RecipientItem =
  | { readonly kind: 'recipient'; readonly view: () => Promise<View>; readonly contacts: readonly Contact[] }
  | { readonly kind: 'failure'; readonly error: VoxError; readonly key: string };

/** What one issue is about, during its fan-out. */
interface IssueState {
  readonly issueId: number;
  readonly notification: NotificationRecord;
  readonly objects: IssueObjects;
  readonly variables: IssueVariables;
}

/** A message to render and write, or a failure to write, during fan-out. */
type Planned =
  | { readonly kind: 'send'; readonly to: readonly Contact[]; readonly variables: Record<string, unknown> }
  | { readonly kind: 'failure'; readonly to: readonly Contact[]; readonly error: unknown; readonly key: string };

/** Objects passed to notify() are used as they are by a worker of the same process, for this long. */
const LIVE_OBJECTS_MS = 60_000;
/** Fan-outs tried before an issue is marked failed. */
const FAN_OUT_ATTEMPTS = 5;
/** Sent messages recorded per statement at most, and how long a record may wait for others to join it. */
const SENT_BATCH = 256;
const SENT_DELAY_MS = 25;
/** Addresses remembered per template to skip rendering duplicates; the log's unique key does the rest. */
const SEEN_ADDRESSES = 50_000;

/**
 * Issue → (worker) fan-out: templates → channels → recipients → contacts → rendered messages in
 * the log → (worker) send, with retries. Every outcome is a row of the message log.
 */
export class Delivery {
  readonly #registry: Registry;
  readonly #store: Store;
  readonly #renderer: Renderer;
  readonly #backends: ReadonlyMap<string, Backend>;
  readonly #queue: Queue;
  readonly #dialect: SqlDialectName;
  readonly #settings: DeliverySettings;
  readonly #throttles = new Map<string, Throttle>();
  readonly #live = new Map<number, { readonly objects: IssueObjects; readonly at: number }>();
  readonly #sent: { id: number; providerMessageId: string | null; resolve(): void; reject(error: unknown): void }[] = [];
  #sentTimer: NodeJS.Timeout | undefined;
  #recording = false;
  /**
   * Whether notify() keeps the objects it was given for this process's worker (which then needs no
   * re-load). Only worth it, and only bounded, when this process runs a worker.
   */
  keepLiveObjects = false;
  /** Emits `progress` whenever this process changes an issue or a message, to wake settled(). */
  readonly events = new EventEmitter();

  constructor(
    registry: Registry,
    store: Store,
    renderer: Renderer,
    backends: ReadonlyMap<string, Backend>,
    queue: Queue,
    dialect: SqlDialectName,
    settings: DeliverySettings,
  ) {
    this.#registry = registry;
    this.#store = store;
    this.#renderer = renderer;
    this.#backends = backends;
    this.#queue = queue;
    this.#dialect = dialect;
    this.#settings = settings;
    this.events.setMaxListeners(0);
  }

  /**
   * Checks the call and records the issue: one write, in the caller's transaction when given, so a
   * rolled-back transaction sends nothing and a committed one always sends. Fan-out and sending
   * happen in workers.
   */
  async issue(model: ModelDef, object: unknown, codename: string, options: { actor?: unknown; target?: unknown; trx?: TransactionLike } = {}): Promise<IssueTicket> {
    const declared = model.notifications.get(codename);
    if (!declared) {
      const known = [...model.notifications.keys()];
      throw new VoxError(ErrorCode.unknownNotification, `${model.name} has no notification ${JSON.stringify(codename)}${known.length ? `; it has ${known.join(', ')}` : ''}`);
    }
    checkParty(declared.id, 'actor', declared.actorModel, options.actor);
    checkParty(declared.id, 'target', declared.targetModel, options.target);
    const db = options.trx === undefined ? this.#store.db : transactionOf(options.trx);
    const notification = await this.#store.findNotification(model.name, codename, db);
    if (!notification) {
      throw new VoxError(ErrorCode.notificationNotSynced, `notification ${declared.id} is not in the database yet: run \`vox sync\` (or vox.sync()) after changing notifications in code`);
    }
    return this.record(notification, { object, actor: options.actor, target: options.target }, options.trx === undefined ? undefined : db);
  }

  /**
   * Records an issue of a stored notification whose objects are already checked. notify() ends
   * here; so does the admin's "send notification", whose notifications may exist only in the
   * database (created in the admin), not in code.
   */
  async record(notification: NotificationRecord, objects: IssueObjects, trx?: Kysely<VoxDatabase>): Promise<IssueTicket> {
    const variables = await this.#variables(notification, objects);
    const party = (modelName: string | null, value: unknown, snapshot: View | undefined): IssueParty | null =>
      modelName && value !== undefined ? { model: modelName, id: this.#registry.get(modelName).idOf(value), snapshot } : null;
    const issueId = await this.#store.insertIssue(
      {
        notificationId: notification.id,
        notification: notification.key,
        object: { model: notification.model, id: this.#registry.get(notification.model).idOf(objects.object), snapshot: variables.object },
        actor: party(notification.actorModel, objects.actor, variables.actor),
        target: party(notification.targetModel, objects.target, variables.target),
      },
      trx ?? this.#store.db,
    );
    if (this.keepLiveObjects) this.#live.set(issueId, { objects, at: Date.now() });
    // Inside a transaction the row is not visible yet; the worker's sweep finds it once committed.
    this.#wake({ kind: 'issue', issueId }, trx === undefined ? 0 : 50);
    return { issueId, notification: notification.key, settled: () => this.settled(issueId) };
  }

  /**
   * Writes rendered messages that belong to no issue (the admin's one-time messages and test
   * sends) to the log, in one transaction, and wakes a sender. Returns their ids.
   */
  async queueMessages(messages: readonly NewMessage[]): Promise<number[]> {
    const ids = await this.#store.db.transaction().execute(async (trx) => {
      const written: number[] = [];
      for (const message of messages) written.push(await this.#store.insertMessage(message, trx));
      return written;
    });
    if (messages.some((m) => m.status === 'queued')) this.#wake({ kind: 'send' }, 0);
    return ids;
  }

  /** Waits until every message of the issue is sent or failed for good, and sums them up. */
  async settled(issueId: number): Promise<IssueResult> {
    for (;;) {
      const issue = await this.#store.getIssue(issueId);
      if (!issue) throw new VoxError(ErrorCode.notFound, `issue ${issueId} does not exist (was its transaction rolled back?)`);
      if (issue.status === 'failed') throw new VoxError(ErrorCode.delivery, `issue ${issueId} could not be fanned out: ${issue.error ?? 'unknown error'}`);
      if (issue.status === 'done' && (await this.#store.countUnsettled(issueId)) === 0) {
        const messages = (await this.#store.listMessages({ issueId })).reverse().map(outcomeOf);
        const result = summarise(issueId, issue.notification, messages);
        const notification = issue.notificationId === null ? undefined : await this.#store.getNotification(issue.notificationId);
        if (notification?.required && result.sent === 0) {
          throw new NothingSentError(notification.key, issueId, messages.filter((m) => m.error).map((m) => m.error as string));
        }
        return result;
      }
      await this.#progress(250);
    }
  }

  /** Fans one issue out into messages. Safe to run again after a crash: existing messages are kept. */
  async fanOut(issueId: number): Promise<void> {
    if (!(await this.#store.claimIssue(issueId, this.#settings.leaseMs))) return;
    try {
      const issue = await this.#store.getIssue(issueId);
      const notification = issue?.notificationId == null ? undefined : await this.#store.getNotification(issue.notificationId);
      if (!issue || !notification) throw new VoxError(ErrorCode.notFound, `issue ${issueId} lost its notification`);
      const live = this.#live.get(issueId)?.objects;
      const objects: IssueObjects = live ?? {
        object: await this.#reload(issue.object, true),
        actor: issue.actor ? await this.#reload(issue.actor, true) : undefined,
        target: issue.target ? await this.#reload(issue.target, true) : undefined,
      };
      const variables = await this.#variables(notification, objects);
      const state: IssueState = { issueId, notification, objects, variables };
      for (const template of await this.#store.listTemplates({ notificationId: notification.id, enabledOnly: true })) {
        await this.#fanOutTemplate(state, template);
      }
      await this.#store.finishIssue(issueId, 'done');
    } catch (error) {
      // A database blip or a failing load() may pass: try again later, a few times, then give up.
      const issue = await this.#store.getIssue(issueId).catch(() => undefined);
      const attempt = issue?.attempts ?? FAN_OUT_ATTEMPTS;
      if (attempt < FAN_OUT_ATTEMPTS) {
        const next = nextAttempt(this.#settings.retry, attempt, false, Math.random());
        await this.#store.deferIssue(issueId, next.retry ? next.delayMs : this.#settings.retry.initialDelayMs, errorText(error));
      } else {
        await this.#store.finishIssue(issueId, 'failed', errorText(error));
      }
    } finally {
      this.#live.delete(issueId);
      this.events.emit('progress');
    }
  }

  /**
   * Sends due messages until none is left or `stop()` says so. Keeps up to `sendBatchSize` in
   * flight, claiming more as sends finish, so that the backends never wait for a whole batch.
   */
  async sendDue(stop: () => boolean = () => false): Promise<void> {
    const limit = this.#settings.sendBatchSize;
    // A message leaves the window once the backend has answered; its record in the log is written
    // with others' (see #recordSent), and the loop waits for those records only at the end. One
    // waiter for a free slot, rather than Promise.race over the window, which would add a reaction
    // to every in-flight promise at each turn.
    let inFlight = 0;
    let slotFreed: (() => void) | undefined;
    const recording = new Set<Promise<unknown>>();
    while (!stop()) {
      if (inFlight > limit / 2) {
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      const claimed = await this.#store.claimDueMessages(limit - inFlight, this.#settings.leaseMs, this.#dialect);
      if (claimed.length === 0) {
        if (inFlight === 0) break;
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      for (const message of claimed) {
        inFlight++;
        let answered = false;
        const answer = () => {
          if (answered) return;
          answered = true;
          inFlight--;
          slotFreed?.();
          slotFreed = undefined;
        };
        const attempt: Promise<unknown> = this.#attempt(message, true, answer)
          .then(
            () => this.events.emit('progress'),
            () => {},
          )
          .finally(() => {
            answer();
            recording.delete(attempt);
          });
        recording.add(attempt);
      }
    }
    await Promise.all(recording);
  }

  /** Sends failed messages again, now: stored payloads as they were, render failures with the current template. */
  async resend(ids: readonly number[]): Promise<MessageOutcome[]> {
    const claimed = new Map((await this.#store.claimFailedMessages(ids, this.#settings.leaseMs)).map((m) => [m.id, m]));
    const outcomes: MessageOutcome[] = [];
    for (const id of ids) {
      const message = claimed.get(id);
      if (!message) {
        const current = await this.#store.getMessage(id);
        outcomes.push(
          current
            ? outcomeOf({ ...current, error: `not resent: message ${id} is ${current.status}; only failed messages are resent` })
            : { id, backend: '', templateId: null, to: [], status: 'failed', error: `message ${id} does not exist` },
        );
        continue;
      }
      outcomes.push(...(await this.#attempt(message, false)));
    }
    this.events.emit('progress');
    return outcomes;
  }

  /** Forgets live objects of issues that were never fanned out here (their transaction rolled back). */
  pruneLiveObjects(): void {
    const cutoff = Date.now() - LIVE_OBJECTS_MS;
    for (const [id, entry] of this.#live) if (entry.at < cutoff) this.#live.delete(id);
  }

  /**
   * Tells a worker about work. The database already holds it, so a queue that is down (Redis
   * restarting) only delays it until a worker's sweep: issuing never waits for or fails with it.
   */
  #wake(job: QueueJob, delayMs: number): void {
    this.#queue.enqueue(job, delayMs > 0 ? { delayMs } : {}).catch(() => {});
  }

  #progress(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('progress', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.events.on('progress', done);
    });
  }

  async #variables(notification: NotificationRecord, objects: IssueObjects): Promise<IssueVariables> {
    const object = await viewOf(this.#registry.get(notification.model), objects.object);
    const variables: { -readonly [K in keyof IssueVariables]: IssueVariables[K] } = {
      object,
      content: object,
      notification: notificationRef(notification),
      site: this.#settings.site,
    };
    if (notification.actorModel && objects.actor !== undefined) variables.actor = await viewOf(this.#registry.get(notification.actorModel), objects.actor);
    if (notification.targetModel && objects.target !== undefined) variables.target = await viewOf(this.#registry.get(notification.targetModel), objects.target);
    return variables;
  }

  /** Fans one template out, writing messages in batches so that memory stays flat. Failures become log rows. */
  async #fanOutTemplate(state: IssueState, template: TemplateRecord): Promise<void> {
    const prefix = `i${state.issueId}:t${template.id}`;
    const backend = this.#backends.get(template.backend);
    if (!backend) {
      await this.#write(state, template, template.backend, 'unknown', [{ kind: 'failure', to: [], error: unknownBackend(template.backend), key: `${prefix}:backend` }], undefined);
      return;
    }
    let attachments: MessagePayload['attachments'];
    try {
      attachments = backend.capabilities.attachments && template.attachments.length > 0
        ? await resolveAttachments(this.#registry, state.notification, state.objects, template.attachments, this.#settings.attachmentBytes)
        : undefined;
    } catch (error) {
      await this.#write(state, template, backend.id, backend.protocol, [{ kind: 'failure', to: [], error, key: `${prefix}:attachments` }], undefined);
      return;
    }
    let batch: Planned[] = [];
    const flush = async () => {
      await this.#write(state, template, backend.id, backend.protocol, batch, attachments);
      batch = [];
    };
    const plan = async (item: Planned) => {
      batch.push(item);
      if (batch.length >= this.#settings.batchSize) await flush();
    };
    const seen = new Set<string>();
    let bulk: Contact[] = [];
    const chunk = backend.capabilities.maxRecipients ?? Number.POSITIVE_INFINITY;
    for await (const item of this.#recipients(state, template, backend.protocol, prefix)) {
      if (item.kind === 'failure') {
        await plan({ kind: 'failure', to: [], error: item.error, key: item.key });
        continue;
      }
      for (const contact of item.contacts) {
        if (seen.has(contact.address)) continue;
        if (!template.bulk && seen.size >= SEEN_ADDRESSES) seen.clear();
        seen.add(contact.address);
        if (template.bulk) {
          bulk.push(contact);
          if (bulk.length >= chunk) {
            await plan({ kind: 'send', to: bulk, variables: { ...state.variables } });
            bulk = [];
          }
          continue;
        }
        try {
          const recipient = await item.view();
          await plan({ kind: 'send', to: [contact], variables: { ...state.variables, recipient, contact: { ...contact } } });
        } catch (error) {
          await plan({ kind: 'failure', to: [contact], error, key: messageKey(state.issueId, template.id, [contact]) });
        }
      }
    }
    if (bulk.length > 0) await plan({ kind: 'send', to: bulk, variables: { ...state.variables } });
    await flush();
  }

  /** Streams the template's recipients, channel by channel; failures are yielded, never thrown. */
  async *#recipients(state: IssueState, template: TemplateRecord, protocol: string, prefix: string): AsyncGenerator<RecipientItem> {
    const ref = notificationRef(state.notification);
    for (const key of template.recipients) {
      try {
        if (key === 'si') {
          for (const site of await this.#store.listSiteContacts({ protocol })) {
            const setting = site.settings[state.notification.key];
            const enabled = site.enableFilter === 'whitelist' ? setting === true : setting !== false;
            if (!enabled) continue;
            const view = { name: site.name, protocol: site.protocol, address: site.address };
            yield { kind: 'recipient', view: async () => view, contacts: [{ name: site.name, protocol, address: site.address }] };
          }
          continue;
        }
        const [channelPrefix, channelKey = ''] = key.split(':') as [string, string?];
        const role = ROLES.find((r) => r.channelPrefix === channelPrefix)?.role;
        if (!role) throw new VoxError(ErrorCode.channel, `unknown recipients key ${JSON.stringify(key)}`);
        const modelName = modelForRole(state.notification, role);
        const source = state.objects[role];
        if (!modelName || source === undefined) throw new VoxError(ErrorCode.channel, `recipients ${key}: this notification has no ${role}`);
        const channel = this.#registry.get(modelName).channels.get(channelKey);
        if (!channel) throw new VoxError(ErrorCode.channel, `recipients ${key}: ${modelName} has no channel ${JSON.stringify(channelKey || 'self')}`);
        const recipientModel = this.#registry.get(channel.recipientModel);
        const contactsFn = recipientModel.contacts.get(protocol);
        if (!contactsFn) continue;
        for await (const object of await channel.resolve(source)) {
          if (object === null || object === undefined) continue;
          const identity = `${recipientModel.name}:${recipientModel.idOf(object)}`;
          try {
            const contacts = await contactsOf(contactsFn(object, ref), protocol, '');
            let view: Promise<View> | undefined;
            yield { kind: 'recipient', view: () => (view ??= viewOf(recipientModel, object)), contacts };
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

  /** Renders a batch of planned messages and writes them to the log in one statement, then wakes a sender. */
  async #write(state: IssueState, template: TemplateRecord, backendId: string, protocol: string, batch: readonly Planned[], attachments: MessagePayload['attachments']): Promise<void> {
    if (batch.length === 0) return;
    const origin = { issueId: state.issueId, notificationId: state.notification.id, templateId: template.id, backend: backendId, protocol };
    const backend = this.#backends.get(backendId);
    const rows: NewMessage[] = [];
    for (const plan of batch) {
      if (plan.kind === 'failure' || !backend) {
        const error = plan.kind === 'failure' ? plan.error : unknownBackend(backendId);
        rows.push({ ...origin, to: plan.to, status: 'failed', ...failureOf(error), permanent: true, idempotencyKey: plan.kind === 'failure' ? plan.key : messageKey(state.issueId, template.id, plan.to) });
        continue;
      }
      const idempotencyKey = messageKey(state.issueId, template.id, plan.to);
      try {
        const { payload, from } = await this.#render(template, backend, plan.variables, attachments, composeContext(state.notification, state.objects, plan.to));
        rows.push({ ...origin, to: plan.to, from: from ?? null, payload, status: 'queued', idempotencyKey });
      } catch (error) {
        rows.push({ ...origin, to: plan.to, renderContext: plan.variables, status: 'failed', ...failureOf(error), permanent: true, idempotencyKey });
      }
    }
    await this.#store.insertMessages(rows);
    // Keep the issue while a long fan-out goes on, so that no other worker starts it again.
    await this.#store.renewIssueLease(state.issueId, this.#settings.leaseMs);
    if (rows.some((r) => r.status === 'queued')) this.#wake({ kind: 'send' }, 0);
  }

  async #render(template: TemplateRecord, backend: Backend, variables: Record<string, unknown>, attachments: MessagePayload['attachments'], context?: ComposeContext) {
    const subject = backend.capabilities.subject ? await this.#renderer.renderSubject(template.subject, variables) : '';
    const parts = await this.#renderer.renderContent(template.content, backend.format, variables);
    const from = backend.capabilities.fromAddress && template.fromAddress.trim() !== '' ? await this.#renderer.renderText(template.fromAddress, variables) : undefined;
    const composed = backend.compose({ subject, parts }, context);
    const payload: MessagePayload = attachments && attachments.length > 0 ? { ...composed, attachments } : composed;
    return { payload, from: from === '' ? undefined : from };
  }

  /**
   * One attempt at a claimed message. A transient failure is retried later per the retry policy
   * when `retry` is on; a human's resend gets one attempt. Returns the outcomes it logged;
   * `answered` is called as soon as the backend has answered, before the outcome is logged.
   */
  async #attempt(message: ClaimedMessage, retry: boolean, answered: () => void = () => {}): Promise<MessageOutcome[]> {
    const claimedAt = Date.now();
    const fail = async (error: unknown): Promise<MessageOutcome[]> => {
      const failure = failureOf(error);
      const next = retry ? nextAttempt(this.#settings.retry, message.attempts, failure.permanent, Math.random()) : { retry: false as const };
      if (next.retry) {
        await this.#store.updateMessage(message.id, { status: 'retrying', ...failure, nextAttemptAt: later(next.delayMs), lockedUntil: null });
        this.#wake({ kind: 'send' }, next.delayMs);
        return [outcomeOf({ ...message, status: 'retrying', error: failure.error })];
      }
      await this.#store.updateMessage(message.id, { status: 'failed', ...failure, lockedUntil: null, nextAttemptAt: null });
      return [outcomeOf({ ...message, status: 'failed', error: failure.error })];
    };
    const backend = this.#backends.get(message.backend);
    if (!backend) return fail(unknownBackend(message.backend));
    let { payload, from } = message;
    try {
      if (payload === null) {
        // Rendering failed at fan-out; render again with the current template (a resend after a fix).
        const template = message.templateId === null ? undefined : await this.#store.getTemplate(message.templateId);
        if (!template || message.renderContext === null) {
          throw new VoxError(ErrorCode.invalidInput, `message ${message.id} failed before it could be rendered (${message.error ?? 'no error recorded'}); fix the cause and issue the notification again`);
        }
        const rendered = await this.#render(
          template,
          backend,
          message.renderContext as Record<string, unknown>,
          await this.#attachmentsFromIssue(message.issueId, template),
          await this.#composeContextFromIssue(message.issueId, message.to),
        );
        payload = rendered.payload;
        from = rendered.from ?? null;
        await this.#store.updateMessage(message.id, { status: 'sending', payload, subject: payload.subject ?? null, from, renderContext: null });
      }
    } catch (error) {
      await this.#store.updateMessage(message.id, { status: 'failed', ...failureOf(error), permanent: true, lockedUntil: null });
      return [outcomeOf({ ...message, status: 'failed', error: errorText(error) })];
    }
    const outbound: OutboundMessage = { id: message.id, idempotencyKey: message.idempotencyKey, from: from ?? undefined, to: message.to, payload };
    let result: Awaited<ReturnType<Backend['send']>>;
    try {
      const sendResult = await this.#throttle(backend.id).run(async () => {
        // A message that waited long for its turn may have lost its lease to another worker.
        if (message.lockedUntil !== null && Date.now() - claimedAt > this.#settings.leaseMs / 2) {
          if (!(await this.#store.renewLease(message.id, message.lockedUntil, this.#settings.leaseMs))) return undefined;
        }
        return backend.send(outbound);
      });
      if (!sendResult) return [];
      result = sendResult;
    } catch (error) {
      answered();
      return fail(error);
    }
    answered();
    const rejected = result.rejected ?? [];
    // Refused addresses get their rows before the message counts as sent, so that whoever sees
    // the issue settled sees them too; after a crash in between, the rows are found by their keys.
    const refusals = rejected.length > 0 ? await this.#splitRejected(message, outbound, rejected, retry) : [];
    await this.#recordSent(message.id, result.providerMessageId ?? null);
    const delivered = message.to.filter((c) => !rejected.some((r) => r.address === c.address));
    const sent: MessageOutcome = { ...outcomeOf({ ...message, status: 'sent', error: null }), to: delivered.map((c) => c.address) };
    return [sent, ...refusals];
  }

  /**
   * Records a sent message. Records are written together, one statement at a time: a batch goes
   * when it is full or `SENT_DELAY_MS` after its first record. The send window does not wait for
   * them, so the delay costs no throughput. Until recorded, rows stay `sending`: a crash in between
   * can only repeat messages that were in flight.
   */
  #recordSent(id: number, providerMessageId: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#sent.push({ id, providerMessageId, resolve, reject });
      if (this.#recording) return;
      if (this.#sent.length >= SENT_BATCH) void this.#flushSent();
      else this.#sentTimer ??= setTimeout(() => void this.#flushSent(), SENT_DELAY_MS);
    });
  }

  async #flushSent(): Promise<void> {
    clearTimeout(this.#sentTimer);
    this.#sentTimer = undefined;
    this.#recording = true;
    while (this.#sent.length > 0) {
      const batch = this.#sent.splice(0, SENT_BATCH);
      try {
        await this.#store.markSent(batch);
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.#recording = false;
  }

  #throttle(backendId: string): Throttle {
    let throttle = this.#throttles.get(backendId);
    if (!throttle) {
      throttle = new Throttle(this.#settings.backendLimits[backendId], (now, interval) => this.#store.takeSendSlot(backendId, now, interval));
      this.#throttles.set(backendId, throttle);
    }
    return throttle;
  }

  /**
   * Addresses a provider refused inside an accepted message get their own row: retried on their own
   * per the retry policy when the refusal is transient (an SMTP 4xx), failed at once otherwise, so
   * that resend reaches them.
   */
  async #splitRejected(message: ClaimedMessage, outbound: OutboundMessage, rejected: NonNullable<Awaited<ReturnType<Backend['send']>>['rejected']>, retry: boolean): Promise<MessageOutcome[]> {
    const outcomes: MessageOutcome[] = [];
    for (const { address, error } of rejected) {
      const failure = failureOf(error);
      const next = retry ? nextAttempt(this.#settings.retry, message.attempts, failure.permanent, Math.random()) : { retry: false as const };
      const id = await this.#store.insertMessage({
        issueId: message.issueId,
        notificationId: message.notificationId,
        templateId: message.templateId,
        backend: message.backend,
        protocol: message.protocol,
        from: outbound.from ?? null,
        to: message.to.filter((c) => c.address === address),
        payload: outbound.payload,
        ...failure,
        ...(next.retry ? { status: 'retrying' as const, attempts: message.attempts, nextAttemptAt: later(next.delayMs) } : { status: 'failed' as const }),
        idempotencyKey: `${message.idempotencyKey}:rejected:${address}`,
      });
      if (next.retry) this.#wake({ kind: 'send' }, next.delayMs);
      outcomes.push({ id, backend: message.backend, templateId: message.templateId, to: [address], status: next.retry ? 'retrying' : 'failed', error: errorText(error) });
    }
    return outcomes;
  }

  /** Attachments of a re-rendered message, computed from the issue's objects re-loaded through `load`. */
  async #attachmentsFromIssue(issueId: number | null, template: TemplateRecord): Promise<MessagePayload['attachments']> {
    if (template.attachments.length === 0 || issueId === null) return undefined;
    const issue = await this.#store.getIssue(issueId);
    const notification = issue?.notificationId == null ? undefined : await this.#store.getNotification(issue.notificationId);
    if (!issue || !notification) throw new VoxError(ErrorCode.notFound, `issue ${issueId} or its notification no longer exists`);
    const objects: IssueObjects = {
      object: await this.#reload(issue.object, false),
      actor: issue.actor ? await this.#reload(issue.actor, false) : undefined,
      target: issue.target ? await this.#reload(issue.target, false) : undefined,
    };
    return resolveAttachments(this.#registry, notification, objects, template.attachments, this.#settings.attachmentBytes);
  }

  /** What a message re-rendered for a resend is about: its issue's objects, re-loaded (or their snapshots). */
  async #composeContextFromIssue(issueId: number | null, to: readonly Contact[]): Promise<ComposeContext | undefined> {
    const issue = issueId === null ? undefined : await this.#store.getIssue(issueId);
    const notification = issue?.notificationId == null ? undefined : await this.#store.getNotification(issue.notificationId);
    if (!issue || !notification) return undefined;
    const objects: IssueObjects = {
      object: await this.#reload(issue.object, true),
      actor: issue.actor ? await this.#reload(issue.actor, true) : undefined,
      target: issue.target ? await this.#reload(issue.target, true) : undefined,
    };
    return composeContext(notification, objects, to);
  }

  /**
   * An issue's object, re-loaded through its model's `load`. When it no longer exists (or the model
   * has no `load`), the snapshot taken at issue time stands in for it if `snapshotFallback` is on.
   */
  async #reload(party: IssueParty, snapshotFallback: boolean): Promise<unknown> {
    const model = this.#registry.get(party.model);
    if (model.options.load) {
      for (const object of await model.options.load([party.id])) if (model.idOf(object) === party.id) return object;
    }
    if (snapshotFallback) return party.snapshot;
    throw new VoxError(ErrorCode.notFound, model.options.load ? `${party.model} ${JSON.stringify(party.id)} no longer exists` : `${party.model} has no load function, so its objects cannot be re-loaded`);
  }
}

function composeContext(notification: NotificationRecord, objects: IssueObjects, to: readonly Contact[]): ComposeContext {
  return { notification: notificationRef(notification), actorModel: notification.actorModel, targetModel: notification.targetModel, ...objects, to };
}

/** The caller's Kysely transaction, as Vox's own tables see it. */
function transactionOf(trx: TransactionLike): Kysely<VoxDatabase> {
  if (!trx.isTransaction) throw new VoxError(ErrorCode.invalidInput, 'trx must be a Kysely transaction (db.transaction().execute(async (trx) => …)), not the Kysely instance');
  return trx as unknown as Kysely<VoxDatabase>;
}

function checkParty(notification: string, role: 'actor' | 'target', model: string | null, value: unknown): void {
  if (model && value === undefined) {
    throw new VoxError(role === 'actor' ? ErrorCode.missingActor : ErrorCode.missingTarget, `${notification} needs ${role === 'actor' ? 'an actor' : 'a target'} (model ${model}): notify(object, codename, { ${role} })`);
  }
  if (!model && value !== undefined) {
    throw new VoxError(role === 'actor' ? ErrorCode.unexpectedActor : ErrorCode.unexpectedTarget, `${notification} declares no ${role}; declare one on the notification or leave ${role} out`);
  }
}

function unknownBackend(id: string): VoxError {
  return new VoxError(ErrorCode.unknownBackend, `backend ${JSON.stringify(id)} is not configured (createVox({ backends }))`);
}

/** A message's idempotency key: the same issue, template and addresses always give the same key. */
function messageKey(issueId: number, templateId: number, to: readonly Contact[]): string {
  const addresses = to.map((c) => c.address).sort().join('\n');
  return `i${issueId}:t${templateId}:${createHash('sha256').update(addresses).digest('base64url').slice(0, 22)}`;
}

/** The message log's error fields for a failure. */
function failureOf(error: unknown): { error: string; errorCode: string | null; permanent: boolean } {
  const permanent = error instanceof DeliveryError ? error.permanent : error instanceof VoxError;
  return { error: errorText(error), errorCode: codeOf(error), permanent };
}

function codeOf(error: unknown): string | null {
  if (error instanceof DeliveryError) return error.statusCode === undefined ? (error.providerCode ?? error.code) : String(error.statusCode);
  if (error instanceof VoxError) return error.code;
  return null;
}

function outcomeOf(message: { id: number; backend: string; templateId: number | null; to: readonly Contact[]; status: MessageOutcome['status']; error: string | null }): MessageOutcome {
  return { id: message.id, backend: message.backend, templateId: message.templateId, to: message.to.map((c) => c.address), status: message.status, error: message.error };
}

function summarise(issueId: number, notification: string, messages: MessageOutcome[]): IssueResult {
  return {
    issueId,
    notification,
    messages,
    sent: messages.filter((m) => m.status === 'sent').length,
    failed: messages.filter((m) => m.status === 'failed').length,
  };
}
