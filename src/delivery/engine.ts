/** What the parts of delivery share: the components createVox wires, the settings, and how workers are woken. */
import { EventEmitter } from 'node:events';
import type { Queue, QueueJob } from '../queue/queue.ts';
import type { Registry } from '../registry/registry.ts';
import type { Renderer } from '../render/renderer.ts';
import type { Store } from '../store/store.ts';
import type { Backend } from '../vocabulary/backend.ts';
import type { SqlDialectName } from '../vocabulary/database.ts';
import type { BackendLimits } from './limits.ts';
import type { RecipientLinks } from './links.ts';
import type { RetryPolicy } from './retry.ts';
import type { QuietHoursSettings } from '../vocabulary/quiet-hours.ts';

/** Settings the delivery engine needs from createVox. */
export interface DeliverySettings {
  readonly site: Readonly<Record<string, unknown>>;
  readonly attachmentBytes: number;
  /** Most bytes of JSON in the snapshot of an issue's object, actor or target. */
  readonly snapshotBytes: number;
  readonly retry: Required<RetryPolicy>;
  /** Quiet hours, when configured: messages due in them wait (see delivery/quiet-hours.ts). */
  readonly quietHours?: QuietHoursSettings;
  /** Per-backend limits, by backend id. */
  readonly backendLimits: Readonly<Record<string, BackendLimits>>;
  /** How long a worker may hold an issue or a message before others take it to be lost. */
  readonly leaseMs: number;
  /** Messages rendered and written per database round trip during fan-out. */
  readonly batchSize: number;
  /** Messages a worker takes per send round; few, so that a crash leaves few in flight. */
  readonly sendBatchSize: number;
  /** Due messages of a backend past which its fan-outs hold back (0: never). */
  readonly fanOutLead: number;
  /** The preference center's links, when `createVox({ preferenceCenter })` configures one. */
  readonly links?: RecipientLinks;
}

/** The components and settings every part of delivery works with. */

/**
 * The events of {@link Engine.events}, named: an emitter typed by inference was declared as
 * `EventEmitter<[never]>`, which @types/node 26 refuses in the published declarations.
 */
export type DeliveryEvents = { progress: [] };

export class Engine {
  readonly registry: Registry;
  readonly store: Store;
  readonly renderer: Renderer;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly queue: Queue;
  readonly dialect: SqlDialectName;
  readonly settings: DeliverySettings;
  /** Emits `progress` whenever this process changes an issue or a message, to wake settled(). */
  readonly events = new EventEmitter<DeliveryEvents>();

  constructor(registry: Registry, store: Store, renderer: Renderer, backends: ReadonlyMap<string, Backend>, queue: Queue, dialect: SqlDialectName, settings: DeliverySettings) {
    this.registry = registry;
    this.store = store;
    this.renderer = renderer;
    this.backends = backends;
    this.queue = queue;
    this.dialect = dialect;
    this.settings = settings;
    this.events.setMaxListeners(0);
  }

  /**
   * Tells a worker about work. The database already holds it, so a queue that is down (Redis
   * restarting) only delays it until a worker's sweep: issuing never waits for or fails with it.
   */
  wake(job: QueueJob, delayMs: number): void {
    this.queue.enqueue(job, delayMs > 0 ? { delayMs } : {}).catch(() => {});
  }

  /** Resolves at the next `progress` event, or after `timeoutMs`. */
  progress(timeoutMs: number): Promise<void> {
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
}
