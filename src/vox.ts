/** createVox: wires registry, store, renderer, queue, delivery, worker and backends into one instance. */
import type { Kysely } from 'kysely';
import type { Backend } from './vocabulary/backend.ts';
import { Delivery } from './delivery/delivery.ts';
import type { ScheduleOptions } from './delivery/issuing.ts';
import { ErrorCode, VoxError } from './vocabulary/errors.ts';
import { BUILT_IN_PROTOCOLS } from './vocabulary/contact.ts';
import { createAdmin } from './admin/index.ts';
import { createFeedback, type FeedbackHandler, type FeedbackOptions } from './feedback/index.ts';
import type { Admin, AdminOptions } from './admin/types.ts';
import { StoredNotifications } from './manage/notifications.ts';
import { Preferences } from './manage/preferences.ts';
import { SiteContacts } from './manage/site-contacts.ts';
import { Suppressions } from './manage/suppressions.ts';
import { syncNotifications, type SyncReport } from './manage/sync.ts';
import { Templates } from './manage/templates.ts';
import type { IssueTicket, ModelHandle, ModelOptions, ModelReference, NotificationsSpec, TransactionLike } from './vocabulary/model.ts';
import { Worker, type WorkerOptions } from './delivery/worker.ts';
import { retryPolicy, type RetryPolicy } from './delivery/retry.ts';
import type { BackendLimits } from './delivery/limits.ts';
import { InProcessQueue } from './queue/in-process.ts';
import type { Queue } from './queue/queue.ts';
import { Registry } from './registry/registry.ts';
import { Renderer, type RenderLimits } from './render/renderer.ts';
import { connect, type DatabaseOptions } from './store/connect.ts';
import { type SqlDialectName } from './vocabulary/database.ts';
import { migrateToLatest } from './store/migrations/index.ts';
import { Store } from './store/store.ts';
import { type IssueFilter } from './vocabulary/records.ts';
import type { PreferenceCenterSettings, SiteOptions } from './vocabulary/site.ts';
import { RecipientLinks } from './delivery/links.ts';
import { createPreferenceCenter, type PreferenceCenter, type PreferenceCenterOptions } from './preference-center/handler.ts';
import { preferenceCenterDeps } from './preference-center/deps.ts';
import type { Logger } from './vocabulary/logger.ts';
import { Inboxes, type Inbox } from './inbox/inbox.ts';
import { openEventBus } from './inbox/bus.ts';
import { createInboxHandler, type InboxHandler, type InboxHandlerOptions } from './inbox/handler.ts';
import type { Issues, Messages, Notifications } from './vox-api.ts';
import { quietHoursSettings, type QuietHoursOptions } from './vocabulary/quiet-hours.ts';

export type { Issues, Messages, Notifications } from './vox-api.ts';

/** Options of {@link createVox}. */
export interface VoxOptions<DB = unknown> {
  /** Where Vox keeps notifications, templates and the message log. */
  readonly database: DatabaseOptions<DB>;
  /** Enabled backends; templates can only use these. @default [] */
  readonly backends?: readonly Backend[];
  readonly site?: SiteOptions;
  /**
   * Hours in which messages wait, in each recipient's time zone (docs/digests.md, "Quiet hours").
   * Checked here: a bad time or an unknown zone throws `VOX_INVALID_SCHEDULE`.
   */
  readonly quietHours?: QuietHoursOptions;
  /**
   * Where recipients unsubscribe and choose what they receive: the secrets that sign the links and
   * where `vox.preferenceCenter()` is mounted. With it, messages to recipients of a model get
   * `unsubscribe_url` and `preferences_url`, and emails of notifications that are not `required`
   * carry one-click `List-Unsubscribe` headers. @default none: no links, no headers
   */
  readonly preferenceCenter?: PreferenceCenterSettings;
  readonly limits?: {
    /** Limits on untrusted templates. */
    readonly render?: RenderLimits;
    /** Most bytes of attachments in one message. @default 10485760 (10 MiB) */
    readonly attachmentBytes?: number;
    /**
     * Most bytes, as JSON, of what notify() records of its object, actor or target (what
     * templates see of it); a larger one is refused with `VOX_INVALID_INPUT` and nothing is
     * written. @default 262144 (256 KiB)
     */
    readonly snapshotBytes?: number;
  };
  /**
   * Carries work to the workers: `'in-process'` (the embedded default: this process's worker, with
   * the database as the durable record) or a {@link Queue} such as the BullMQ adapter.
   * @default 'in-process'
   */
  readonly queue?: 'in-process' | Queue;
  /**
   * This process's worker, which fans issues out and sends messages. It starts with the first
   * notify() or with {@link Vox.start}; `false` makes a process that only issues (web processes
   * when `vox worker` runs elsewhere). @default {}
   */
  readonly worker?: false | WorkerOptions;
  /**
   * Where Vox says what an operator should know, such as a queue it cannot reach: a pino logger,
   * `console`, or anything with `info` and `warn` taking details, then a message. @default silent
   */
  readonly logger?: Logger;
  /** How transient failures are retried. */
  readonly retry?: RetryPolicy;
  /**
   * Concurrency and rate limits per backend id, e.g. `{ twilio: { ratePerSecond: 1 } }`. A rate is
   * kept by all workers on the database together; concurrency applies in each worker process.
   */
  readonly backendLimits?: Readonly<Record<string, BackendLimits>>;
  readonly delivery?: {
    /**
     * Recipients a fan-out screens, renders and writes per batch (one look-up of suppressions and
     * of preferences per batch, 100 rows per statement). Each batch is held in memory until it is
     * written: a larger one lives across more collections of the young generation, and what
     * survives them is promoted and raises the process's peak memory. @default 100
     */
    readonly batchSize?: number;
    /**
     * Messages a send loop keeps in flight. A crash repeats at most these and the ones sent in the
     * last few milliseconds whose sent records were not yet written. @default 64
     */
    readonly sendBatchSize?: number;
    /**
     * Messages of a backend that may wait to be sent before a fan-out to that backend holds back,
     * so that a very large fan-out keeps pace with sending rather than running far ahead of it
     * (see docs/delivery.md for when it pays). 0 never holds back. @default 0
     */
    readonly fanOutLead?: number;
    /** How long a worker may hold an issue or a message before another takes it to be lost. @default 300000 */
    readonly leaseMs?: number;
  };
}

/** A Vox instance: the registry of models, the database, the backends. */
export interface Vox {
  /**
   * Registers a model: its notifications, channels, contacts and attachments.
   *
   * @example
   * const Article = vox.model('blog.article', { id: (a: Article) => a.slug, notifications: { created: 'A new article' } });
   */
  model<T, const N extends NotificationsSpec = Record<never, string>, M = Record<never, never>>(name: string, options: ModelOptions<T, N, M>): ModelHandle<T, N>;
  /** Creates or updates Vox's tables. */
  migrate(): Promise<string[]>;
  /** Makes the notifications table match the code (the seed's make_notifications). */
  sync(options?: { readonly dryRun?: boolean }): Promise<SyncReport>;
  readonly templates: Templates;
  readonly siteContacts: SiteContacts;
  /**
   * Recipients' preferences: `get` returns a recipient's resolved grid (each notification and
   * category, per protocol: enabled, where the value comes from, locked when required); `set`
   * writes one or many in one transaction. See docs/preferences.md for the precedence.
   *
   * @example
   * await vox.preferences.set(Subscriber, sub, [{ category: 'newsletter', protocol: 'email', enabled: false }]);
   */
  readonly preferences: Preferences;
  /** The suppression list: addresses per protocol that no message may go to, checked before preferences. */
  readonly suppressions: Suppressions;
  readonly notifications: Notifications;
  readonly messages: Messages;
  readonly issues: Issues;
  readonly backends: readonly Backend[];
  readonly dialect: SqlDialectName;
  /**
   * The admin, where staff write templates, send notifications and one-time messages, manage site
   * contacts and read the message log: a `fetch(Request)` handler to mount in your web server, in
   * Express, Fastify, Hono or Next.js through `vox/express`, `vox/fastify`, `vox/hono`, `vox/next`
   * (`toNodeHandler` for Node's http). `Context` is the second argument those adapters pass on to
   * `authorize`: the framework's request, where the app's middleware put the signed-in user.
   *
   * @example
   * const admin = vox.admin<ExpressContext>({ basePath: '/admin', authorize: (request, context) => staffOf(context?.req.user) });
   * app.use(express.json()).use('/admin', toExpress(admin));   // import { toExpress, type ExpressContext } from 'vox/express'
   */
  admin<Context = unknown>(options: AdminOptions<Context>): Admin<Context>;
  /**
   * Delivery feedback: the providers' webhooks, as one `fetch(Request)` handler with a path per
   * provider (`…/twilio`, `…/postmark`, `…/ses`, `…/sendgrid`). See docs/feedback.md.
   *
   * @example
   * const feedback = vox.feedback({ postmark: { username: 'postmark', password } });
   * app.post('/vox/feedback/*', (c) => feedback.fetch(c.req.raw));
   */
  feedback(options: FeedbackOptions): FeedbackHandler;
  /**
   * A recipient's in-app inbox (the `in-app` backend's items): list, count, mark. The recipient is
   * an object of `model`, whose `in-app` contact gives the inbox's key.
   *
   * @example
   * const { unread } = await vox.inbox(User, user).counts();
   */
  inbox<T>(model: ModelReference<T>, recipient: T): Inbox;
  /**
   * The in-app inbox over HTTP: JSON endpoints, a Server-Sent Events stream per recipient and the
   * `<vox-inbox>` element's script, as a `fetch(Request)` handler (docs/inbox.md).
   *
   * @example
   * const inbox = vox.inboxHandler({ basePath: '/inbox', model: User, authenticate: (request) => userOf(request) });
   * app.use('/inbox', toNodeHandler(inbox));   // Express
   */
  inboxHandler<T, Context = unknown>(options: InboxHandlerOptions<T, Context>): InboxHandler<T, Context>;
  /**
   * The preference center of `createVox({ preferenceCenter })`: one-click unsubscribe and the
   * recipients' preference page, a `fetch(Request)` handler to mount at its `path`.
   *
   * @example
   * const center = vox.preferenceCenter({ authenticate: async (request) => subscriberOf(request) });
   * app.all('/notifications/*', (c) => center.fetch(c.req.raw));
   */
  preferenceCenter<Context = unknown>(options?: PreferenceCenterOptions<Context>): PreferenceCenter<Context>;
  /** Starts this process's worker (notify() does it too, unless `worker: false`). */
  start(): void;
  /**
   * Stops this process's worker after the jobs in flight finish, or after the worker's
   * `shutdownTimeoutMs` (30 s) without them: their messages are then sent again once their lease
   * runs out. Resolves to whether they finished.
   */
  stop(): Promise<boolean>;
  /** Stops the worker and closes what Vox opened (a Kysely instance you passed in stays open). */
  close(): Promise<void>;
}

/**
 * Creates a Vox instance.
 *
 * @example
 * const vox = createVox({ database: { dialect: 'sqlite', path: 'vox.db' }, backends: [htmlEmail({ transport })] });
 */
export function createVox<DB = unknown>(options: VoxOptions<DB>): Vox {
  if (!options?.database) throw new VoxError(ErrorCode.configuration, 'createVox needs a database: { dialect: "sqlite", path: ":memory:" } for a start');
  const backends = new Map<string, Backend>();
  for (const backend of options.backends ?? []) {
    if (backends.has(backend.id)) throw new VoxError(ErrorCode.configuration, `two backends have the id ${backend.id}; give one another id`);
    backends.set(backend.id, backend);
  }
  const connection = connect(options.database);
  const store = new Store(connection.db, connection.dialect, connection.schema);
  // Contacts may be declared for every protocol Vox ships, configured here or not: apps declare
  // their models once and enable backends per environment (no Twilio in development, say).
  const registry = new Registry([...BUILT_IN_PROTOCOLS, ...[...backends.values()].map((b) => b.protocol)]);
  const renderer = new Renderer(options.limits?.render);
  const queue: Queue = options.queue === undefined || options.queue === 'in-process' ? new InProcessQueue() : options.queue;
  const site = { ...options.site };
  const links = options.preferenceCenter === undefined ? undefined : new RecipientLinks(options.preferenceCenter, site.baseUrl);
  const attachmentBytes = options.limits?.attachmentBytes ?? 10 * 1024 * 1024;
  const fanOutLead = options.delivery?.fanOutLead ?? 0;
  if (!Number.isInteger(fanOutLead) || fanOutLead < 0) {
    throw new VoxError(ErrorCode.configuration, `delivery.fanOutLead must be a whole number of messages, 0 or more (0 never holds a fan-out back); it is ${String(fanOutLead)}`);
  }
  const delivery = new Delivery(registry, store, renderer, backends, queue, connection.dialect, {
    site,
    attachmentBytes,
    snapshotBytes: options.limits?.snapshotBytes ?? 256 * 1024,
    retry: retryPolicy(options.retry),
    backendLimits: withDefaultConcurrency(backends, options.backendLimits ?? {}),
    leaseMs: options.delivery?.leaseMs ?? 300_000,
    batchSize: options.delivery?.batchSize ?? 100,
    sendBatchSize: options.delivery?.sendBatchSize ?? 64,
    fanOutLead,
    ...(links ? { links } : {}),
    ...(options.quietHours ? { quietHours: quietHoursSettings(options.quietHours) } : {}),
  });
  const worker = options.worker === false ? undefined : new Worker(delivery, store, queue, options.worker, options.logger);
  const startWorker = () => {
    if (worker && !worker.running) {
      delivery.keepLiveObjects = true;
      worker.start();
    }
  };
  const templates = new Templates(registry, store, renderer, backends);
  const siteContacts = new SiteContacts(store, backends);
  const storedNotifications = new StoredNotifications(registry, store);
  const preferences = new Preferences(registry, store);
  const suppressions = new Suppressions(store, [...BUILT_IN_PROTOCOLS, ...[...backends.values()].map((b) => b.protocol)]);
  const inboxes = new Inboxes(store.inbox, registry, () => openEventBus(connection, queue, options.logger));
  const hostModel = (def: ReturnType<Registry['get']>) => ({ name: def.name, label: def.label, options: def.options, idOf: def.idOf });
  for (const backend of backends.values()) {
    backend.attach?.({
      db: connection.db as Kysely<unknown>,
      dialect: connection.dialect,
      site: { ...options.site },
      model: (name) => (registry.has(name) ? hostModel(registry.get(name)) : undefined),
      models: () => registry.models().map(hostModel),
      inboxChanged: (recipients) => inboxes.changed(recipients),
    });
  }

  return {
    model<T, const N extends NotificationsSpec = Record<never, string>, M = Record<never, never>>(name: string, modelOptions: ModelOptions<T, N, M>): ModelHandle<T, N> {
      const def = registry.add(name, modelOptions);
      return {
        name,
        label: def.label,
        notify: (object, codename, ...rest): Promise<IssueTicket> => {
          startWorker();
          return delivery.issue(def, object, codename, (rest[0] ?? {}) as { actor?: unknown; target?: unknown; trx?: TransactionLike } & ScheduleOptions);
        },
      };
    },
    migrate: () => migrateToLatest(connection.db, connection.dialect, connection.schema),
    sync: (syncOptions) => syncNotifications(registry, store, syncOptions?.dryRun ?? false),
    templates,
    siteContacts,
    preferences,
    suppressions,
    notifications: {
      list: () => store.notifications.list(),
      channels: async (key) => registry.channelChoices(await store.notifications.require(key)),
      attachments: async (key) => registry.attachmentChoices(await store.notifications.require(key)),
      create: (input) => storedNotifications.create(input),
      update: (key, input) => storedNotifications.update(key, input),
      delete: (key) => storedNotifications.delete(key),
    },
    issues: {
      list: async (filter = {}) => store.issues.list(issueQuery(filter)),
      async get(issueId) {
        const issue = await store.issues.get(issueId);
        return issue && { ...issue, messages: await store.issues.messageCounts(issueId) };
      },
      async cancel(key) {
        if (typeof key !== 'string' || key === '') throw new VoxError(ErrorCode.invalidInput, 'cancel(key) needs the key given to notify()');
        return store.issues.cancel(key);
      },
    },
    messages: {
      list: (filter) => store.messages.list(filter),
      async get(id) {
        const message = await store.messages.get(id);
        if (!message) return undefined;
        const { renderContext: _renderContext, lockedUntil: _lockedUntil, ...record } = message;
        return record;
      },
      resend: (ids) => delivery.resend(ids),
      async applyProviderReport(messageId, backend, providerMessageId, update) {
        const applied = await store.messages.applyProviderReport(messageId, backend, providerMessageId, {
          status: update.status,
          error: update.error,
          errorCode: update.errorCode ?? null,
          permanent: update.permanent,
        });
        if (!applied) return undefined;
        delivery.events.emit('progress');
        return this.get(messageId);
      },
      events: (id) => delivery.feedback.history(id),
    },
    backends: [...backends.values()],
    dialect: connection.dialect,
    admin: (adminOptions) =>
      createAdmin(
        {
          registry,
          store,
          renderer,
          delivery,
          backends,
          templates,
          siteContacts,
          notifications: storedNotifications,
          suppressions,
          site,
          attachmentBytes,
          startWorker,
        },
        adminOptions,
      ),
    feedback: (feedbackOptions) => createFeedback(delivery.feedback, feedbackOptions),
    inbox: (model, recipient) => inboxes.of(() => inboxes.keyOf(model, recipient)),
    inboxHandler: (handlerOptions) => createInboxHandler(inboxes, handlerOptions),
    preferenceCenter(centerOptions) {
      if (!links) throw new VoxError(ErrorCode.configuration, 'vox.preferenceCenter() needs createVox({ preferenceCenter: { secrets } }), which the links in messages are signed with');
      return createPreferenceCenter(links, preferenceCenterDeps(preferences, suppressions, site), centerOptions);
    },
    start() {
      if (!worker) throw new VoxError(ErrorCode.configuration, 'this Vox was created with worker: false, so it cannot run a worker');
      delivery.keepLiveObjects = true;
      worker.start();
    },
    stop: async () => (worker ? worker.stop() : true),
    async close() {
      await worker?.stop();
      await Promise.all([...backends.values()].map((b) => b.close?.()));
      await inboxes.close();
      await queue.close?.();
      await renderer.close();
      await connection.close();
    },
  };
}

/** The backends' limits: each backend's own default concurrency, unless the options set one. */
function withDefaultConcurrency(backends: ReadonlyMap<string, Backend>, limits: Readonly<Record<string, BackendLimits>>): Readonly<Record<string, BackendLimits>> {
  const merged: Record<string, BackendLimits> = { ...limits };
  for (const backend of backends.values()) {
    if (backend.capabilities.concurrency !== undefined) merged[backend.id] = { concurrency: backend.capabilities.concurrency, ...limits[backend.id] };
  }
  return merged;
}

/** An issue filter as the store reads it: timestamps as stored, the limit applied. */
function issueQuery({ since, until, limit = 100, ...rest }: IssueFilter) {
  if (!Number.isInteger(limit) || limit < 1) throw new VoxError(ErrorCode.invalidInput, `limit must be a positive whole number, not ${String(limit)}`);
  return { ...rest, limit, ...(since === undefined ? {} : { since: timestamp(since, 'since') }), ...(until === undefined ? {} : { until: timestamp(until, 'until') }) };
}

function timestamp(value: Date | string, name: string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new VoxError(ErrorCode.invalidInput, `${name} must be a Date or an ISO timestamp, not ${JSON.stringify(value)}`);
  return date.toISOString();
}
