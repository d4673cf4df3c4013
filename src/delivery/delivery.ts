/**
 * The delivery engine as createVox, the worker and the admin see it: issue → (worker) fan-out →
 * messages in the log → (worker) send, with retries. Every outcome is a row of the message log.
 */
import type { EventEmitter } from 'node:events';
import type { Kysely } from 'kysely';
import type { Queue } from '../queue/queue.ts';
import type { ModelDef, Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import type { NewMessage } from '../store/rows.ts';
import type { VoxDatabase } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import type { Backend } from '../vocabulary/backend.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import type { IssueResult, IssueTicket, ResendOutcome, TransactionLike } from '../vocabulary/model.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';
import { Composer } from './composing.ts';
import type { IssueObjects } from './context.ts';
import { Engine, type DeliveryEvents, type DeliverySettings } from './engine.ts';
import { DigestCloser } from './digests.ts';
import { FanOut, LiveObjects } from './fan-out.ts';
import { Feedback } from './feedback.ts';
import { Issuer, type ScheduleOptions } from './issuing.ts';
import { Sender } from './sending.ts';

export type { DeliverySettings } from './engine.ts';

/** Issuing, fan-out and sending, over one set of components. */
export class Delivery {
  readonly #engine: Engine;
  readonly #live = new LiveObjects();
  readonly #issuer: Issuer;
  readonly #fanOut: FanOut;
  readonly #sender: Sender;
  /** Providers' reports after they accepted messages (delivery feedback). */
  readonly feedback: Feedback;
  readonly #digests: DigestCloser;

  constructor(registry: Registry, store: Store, renderer: Renderer, backends: ReadonlyMap<string, Backend>, queue: Queue, dialect: SqlDialectName, settings: DeliverySettings) {
    this.#engine = new Engine(registry, store, renderer, backends, queue, dialect, settings);
    const composer = new Composer(this.#engine);
    this.#issuer = new Issuer(this.#engine, composer, this.#live);
    this.#fanOut = new FanOut(this.#engine, composer, this.#live);
    this.feedback = new Feedback(this.#engine);
    this.#sender = new Sender(this.#engine, composer, this.feedback);
    this.#digests = new DigestCloser(this.#engine, composer);
  }

  /** Emits `progress` whenever this process changes an issue or a message, to wake settled(). */
  get events(): EventEmitter<DeliveryEvents> {
    return this.#engine.events;
  }

  /**
   * Whether notify() keeps the objects it was given for this process's worker (which then needs no
   * re-load). Only worth it, and only bounded, when this process runs a worker.
   */
  set keepLiveObjects(keep: boolean) {
    this.#live.enabled = keep;
  }

  /** notify(): checks the call and records the issue, in the caller's transaction when given. */
  issue(model: ModelDef, object: unknown, codename: string, options: { actor?: unknown; target?: unknown; trx?: TransactionLike } & ScheduleOptions = {}): Promise<IssueTicket> {
    return this.#issuer.issue(model, object, codename, options);
  }

  /** Records an issue of a stored notification whose objects are already checked (the admin's "send notification"). */
  record(notification: NotificationRecord, objects: IssueObjects, trx?: Kysely<VoxDatabase>): Promise<IssueTicket> {
    return this.#issuer.record(notification, objects, trx);
  }

  /** Writes rendered messages that belong to no issue to the log and wakes a sender. Returns their ids. */
  queueMessages(messages: readonly NewMessage[]): Promise<number[]> {
    return this.#issuer.queueMessages(messages);
  }

  /** Waits until every message of the issue is sent or failed for good, and sums them up. */
  settled(issueId: number): Promise<IssueResult> {
    return this.#issuer.settled(issueId);
  }

  /**
   * Fans one issue out into messages. Safe to run again after a crash: existing messages are kept.
   * Holds back while its backend's backlog is over `fanOutLead`, until `stop()` says so.
   */
  fanOut(issueId: number, stop?: () => boolean): Promise<void> {
    return this.#fanOut.fanOut(issueId, stop);
  }

  /** Sends due messages until none is left or `stop()` says so. */
  sendDue(stop?: () => boolean): Promise<void> {
    return this.#sender.sendDue(stop);
  }

  /** Closes due digests into messages; returns how many closed. */
  closeDigests(stop?: () => boolean): Promise<number> {
    return this.#digests.closeDue(stop);
  }

  /** Sends failed messages again, now. */
  resend(ids: readonly number[]): Promise<ResendOutcome[]> {
    return this.#sender.resend(ids);
  }

  /** Forgets live objects of issues that were never fanned out here (their transaction rolled back). */
  pruneLiveObjects(): void {
    this.#live.prune();
  }
}
