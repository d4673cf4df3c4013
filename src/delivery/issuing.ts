/** Recording issues (notify() and the admin's sends), queueing one-time messages, and waiting for an issue to settle. */
import type { Kysely } from 'kysely';
import type { ModelDef } from '../registry/registry.ts';
import type { NewMessage } from '../store/rows.ts';
import type { VoxDatabase } from '../store/schema.ts';
import { ErrorCode, NothingSentError, VoxError } from '../vocabulary/errors.ts';
import type { IssueResult, IssueTicket, TransactionLike } from '../vocabulary/model.ts';
import type { IssueParty, NotificationInfo, NotificationRecord } from '../vocabulary/records.ts';
import type { Composer } from './composing.ts';
import type { IssueObjects, View } from './context.ts';
import type { Engine } from './engine.ts';
import type { LiveObjects } from './fan-out.ts';
import { outcomeOf, summarise } from './outcomes.ts';

/** Records issues; fan-out and sending happen in workers. */
export class Issuer {
  readonly #engine: Engine;
  readonly #composer: Composer;
  readonly #live: LiveObjects;

  constructor(engine: Engine, composer: Composer, live: LiveObjects) {
    this.#engine = engine;
    this.#composer = composer;
    this.#live = live;
  }

  /**
   * Checks the call and records the issue: one write, in the caller's transaction when given, so a
   * rolled-back transaction sends nothing and a committed one always sends.
   */
  async issue(model: ModelDef, object: unknown, codename: string, options: { actor?: unknown; target?: unknown; trx?: TransactionLike } & ScheduleOptions = {}): Promise<IssueTicket> {
    const declared = model.notifications.get(codename);
    if (!declared) {
      const known = [...model.notifications.keys()];
      throw new VoxError(ErrorCode.unknownNotification, `${model.name} has no notification ${JSON.stringify(codename)}${known.length ? `; it has ${known.join(', ')}` : ''}`);
    }
    checkParty(declared.id, 'actor', declared.actorModel, options.actor);
    checkParty(declared.id, 'target', declared.targetModel, options.target);
    const schedule = scheduleOf(options);
    const db = options.trx === undefined ? undefined : this.#engine.store.ours(transactionOf(options.trx));
    const notification = { ...declared, key: declared.id };
    const objects: IssueObjects = { object, actor: options.actor, target: options.target };
    const issueId = await this.#insert(notification, objects, db, undefined, schedule);
    if (issueId === undefined) {
      throw new VoxError(ErrorCode.notificationNotSynced, `notification ${declared.id} is not in the database yet: run \`vox sync\` (or vox.sync()) after changing notifications in code`);
    }
    return this.#ticket(issueId, notification.key, objects, db, schedule.dueAt);
  }

  /**
   * Records an issue of a stored notification whose objects are already checked: the admin's
   * "send notification", whose notifications may exist only in the database (created in the
   * admin), not in code.
   */
  async record(notification: NotificationRecord, objects: IssueObjects, trx?: Kysely<VoxDatabase>): Promise<IssueTicket> {
    const issueId = await this.#insert(notification, objects, trx, notification.id);
    return this.#ticket(issueId as number, notification.key, objects, trx);
  }

  /**
   * Writes the issue with its objects' snapshots, in one statement: by the notification's id, or
   * else found by its key in that statement (undefined when it is not stored).
   */
  async #insert(notification: NotificationInfo, objects: IssueObjects, trx: Kysely<VoxDatabase> | undefined, notificationId?: number, schedule: Schedule = {}): Promise<number | undefined> {
    const { registry, store } = this.#engine;
    const variables = await this.#composer.variables(notification, objects);
    const party = (modelName: string | null, value: unknown, snapshot: View | undefined): IssueParty | null =>
      modelName && value !== undefined ? { model: modelName, id: registry.get(modelName).idOf(value), snapshot } : null;
    return store.issues.insert(
      {
        ...(notificationId === undefined ? {} : { notificationId }),
        notification: notification.key,
        object: { model: notification.model, id: registry.get(notification.model).idOf(objects.object), snapshot: variables.object },
        actor: party(notification.actorModel, objects.actor, variables.actor),
        target: party(notification.targetModel, objects.target, variables.target),
        ...schedule,
      },
      trx ?? store.db,
    );
  }

  /**
   * Keeps the objects for this process's worker (unless the issue waits for its time: they may
   * change before then, and another worker may take it), wakes a worker, and hands out the ticket.
   */
  #ticket(issueId: number, key: string, objects: IssueObjects, trx: Kysely<VoxDatabase> | undefined, dueAt?: string): IssueTicket {
    const wait = dueAt === undefined ? 0 : Date.parse(dueAt) - Date.now();
    if (wait <= 0) this.#live.keep(issueId, objects);
    // Inside a transaction the row is not visible yet; the worker's sweep finds it once committed.
    // A wake-up is only a hint: the sweep takes a scheduled issue once due, whatever the queue does.
    if (wait <= MAX_WAKE_MS) this.#engine.wake({ kind: 'issue', issueId }, Math.max(wait, trx === undefined ? 0 : 50));
    return { issueId, notification: key, settled: () => this.settled(issueId) };
  }

  /**
   * Writes rendered messages that belong to no issue (the admin's one-time messages and test
   * sends) to the log, in one transaction, and wakes a sender. Returns their ids.
   */
  async queueMessages(messages: readonly NewMessage[]): Promise<number[]> {
    const { store } = this.#engine;
    const ids = await store.db.transaction().execute(async (trx) => {
      const written: number[] = [];
      for (const message of messages) written.push(await store.messages.insert(message, trx));
      return written;
    });
    if (messages.some((m) => m.status === 'queued')) this.#engine.wake({ kind: 'send' }, 0);
    return ids;
  }

  /** Waits until every message of the issue is sent or failed for good, and sums them up. */
  async settled(issueId: number): Promise<IssueResult> {
    const { store } = this.#engine;
    for (;;) {
      const issue = await store.issues.get(issueId);
      if (!issue) throw new VoxError(ErrorCode.notFound, `issue ${issueId} does not exist (was its transaction rolled back?)`);
      if (issue.status === 'failed') throw new VoxError(ErrorCode.delivery, `issue ${issueId} could not be fanned out: ${issue.error ?? 'unknown error'}`);
      if (issue.status === 'cancelled') throw new VoxError(ErrorCode.issueCancelled, `issue ${issueId} (key ${JSON.stringify(issue.key)}) was cancelled before it was fanned out`);
      if (issue.status === 'done' && (await store.issues.countUnsettled(issueId)) === 0) {
        const messages = (await store.messages.list({ issueId })).reverse().map(outcomeOf);
        const result = summarise(issueId, issue.notification, messages);
        const notification = issue.notificationId === null ? undefined : await store.notifications.get(issue.notificationId);
        if (notification?.required && result.sent === 0) {
          throw new NothingSentError(notification.key, issueId, messages.filter((m) => m.error).map((m) => m.error as string));
        }
        return result;
      }
      await this.#engine.progress(250);
    }
  }
}

/** notify()'s scheduling options. */
export interface ScheduleOptions {
  readonly delay?: number;
  readonly at?: Date;
  readonly key?: string;
}

/** What the issue's row records of its schedule. */
interface Schedule {
  readonly dueAt?: string;
  readonly key?: string;
}

/** How far in the past `at` may be and still mean "now": clocks of app servers differ a little. */
const AT_TOLERANCE_MS = 60_000;
/** The longest delay announced to the queue; later issues are found by the workers' sweep when due. */
const MAX_WAKE_MS = 60 * 60_000;
const MAX_KEY_LENGTH = 200;

/** Checks notify()'s `delay`, `at` and `key`; throws VOX_INVALID_SCHEDULE before anything is written. */
function scheduleOf(options: ScheduleOptions): Schedule {
  const { delay, at, key } = options;
  const invalid = (why: string) => new VoxError(ErrorCode.invalidSchedule, why);
  if (delay !== undefined && at !== undefined) throw invalid('give delay or at, not both');
  let due: number | undefined;
  if (delay !== undefined) {
    if (typeof delay !== 'number' || !Number.isSafeInteger(delay) || delay < 0) throw invalid(`delay must be a whole number of milliseconds, 0 or more, not ${String(delay)}`);
    if (delay > 0) due = Date.now() + delay;
  }
  if (at !== undefined) {
    const time = at instanceof Date ? at.getTime() : Number.NaN;
    if (Number.isNaN(time)) throw invalid(`at must be a valid Date, not ${JSON.stringify(at)}`);
    if (time < Date.now() - AT_TOLERANCE_MS) throw invalid(`at (${at.toISOString()}) is more than a minute in the past`);
    if (time > Date.now()) due = time;
  }
  if (key !== undefined && (typeof key !== 'string' || key.trim() === '' || key.length > MAX_KEY_LENGTH)) {
    throw invalid(`key must be a non-blank string of at most ${MAX_KEY_LENGTH} characters`);
  }
  return { ...(due === undefined ? {} : { dueAt: new Date(due).toISOString() }), ...(key === undefined ? {} : { key }) };
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
