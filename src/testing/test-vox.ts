/**
 * createTestVox: Vox as an application's tests run it. A real Vox (in-memory SQLite unless told
 * otherwise, the real renderer and fan-out) whose backends capture what they are sent in an
 * outbox; templates given in code; `drain()` to wait for delivery; assertions on issues and
 * messages. Or, with `deliver: false`, a Vox that records issues and renders nothing.
 */
import { createVox, type Vox, type VoxOptions } from '../vox.ts';
import type { DatabaseOptions } from '../store/connect.ts';
import type { TemplateInput } from '../manage/templates.ts';
import type { Backend } from '../vocabulary/backend.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { IssueTicket, ModelHandle, ModelOptions, NotificationsSpec } from '../vocabulary/model.ts';
import type { IssueRecord } from '../vocabulary/records.ts';
import { checkMatch, fail, mismatch, show } from './match.ts';
import { Outbox, type MessageOrigin } from './outbox.ts';

/**
 * A template given in code: the fields of `vox.templates.save`, where `backend` may be left out
 * when the test Vox has one backend, and `subject` and `content` when the test does not look at
 * them (both then say the notification's description).
 */
export type TestTemplate = Omit<TemplateInput, 'backend' | 'content' | 'id'> & { readonly backend?: string; readonly content?: string };

/** Options of {@link createTestVox}: those of createVox, with test defaults. */
export interface TestVoxOptions<DB = unknown> extends Omit<VoxOptions<DB>, 'database' | 'worker'> {
  /** @default { dialect: 'sqlite', path: ':memory:' }; pass your app's Kysely instance so that notify() joins its transactions. */
  readonly database?: DatabaseOptions<DB>;
  /** Your backends, as your app configures them; each one's `send` is replaced by capturing into {@link TestVox.outbox}. */
  readonly backends?: readonly Backend[];
  /** Templates that {@link TestVox.prepare} saves. */
  readonly templates?: readonly TestTemplate[];
  /**
   * `false` records issues and does nothing more: no worker, no fan-out, no rendering, for unit
   * tests of code that only calls notify(). Assert with {@link TestVox.assertIssued}. @default true
   */
  readonly deliver?: boolean;
  /** The worker of a delivering test Vox. @default { sweepIntervalMs: 50 } */
  readonly worker?: VoxOptions<DB>['worker'];
}

/** What {@link TestVox.assertIssued} looks for; every field given must match. */
export interface IssueMatch {
  /** `<model>.<codename>`, for example `shop.order.placed`. */
  readonly notification?: string;
  /** Some of the object as notify() recorded it (after its model's schema): objects match on the keys given. */
  readonly object?: unknown;
  readonly actor?: unknown;
  readonly target?: unknown;
}

/** A Vox for tests: see {@link createTestVox}. */
export interface TestVox extends Vox {
  /** What the backends were asked to send, with assertions. */
  readonly outbox: Outbox;
  /**
   * Creates Vox's tables, syncs the notifications of the models registered so far, and saves the
   * templates given to createTestVox that are not saved yet. Call it once your app has registered
   * its models; again after registering more.
   */
  prepare(): Promise<void>;
  /**
   * Waits until nothing is due: every issue notify() recorded here is fanned out, and no message is
   * queued, being sent, or due for a retry. A retry due later is not waited for. Rejects with
   * `VOX_DELIVERY` when work is still due after `timeoutMs`. Does nothing with `deliver: false`.
   */
  drain(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** The issues notify() recorded through this Vox's models and that exist (their transaction committed), oldest first. */
  issued(match?: IssueMatch): Promise<IssueRecord[]>;
  /** Checks that an issue matching `match` was recorded (exactly `times`, when given) and returns the first. */
  assertIssued(match: IssueMatch, options?: { readonly times?: number }): Promise<IssueRecord>;
  /** Checks that no issue matching `match` was recorded. */
  assertNotIssued(match: IssueMatch): Promise<void>;
}

/**
 * Creates a Vox for an application's tests: in-memory SQLite by default, your backends with their
 * sends captured in `outbox`, templates from code. Close it with `vox.close()`.
 *
 * @example
 * const vox = createTestVox({ backends: [htmlEmail({ transport })], templates: [{ notification: 'shop.order.placed', recipients: ['c:customer'] }] });
 * const Order = vox.model('shop.order', { … });
 * await vox.prepare();
 * await Order.notify(order, 'placed');
 * await vox.drain();
 * vox.outbox.assertSent({ to: 'ann@example.org', notification: 'shop.order.placed' });
 */
export function createTestVox<DB = unknown>(options: TestVoxOptions<DB> = {}): TestVox {
  const { templates = [], deliver = true, database, backends = [], worker, ...rest } = options;
  // Called by the captured backends' sends, so only once `inner` exists.
  const origin: MessageOrigin = async (message) => {
    const record = await inner.messages.get(message.id);
    const issue = record?.issueId == null ? undefined : await inner.issues.get(record.issueId);
    const variables: Record<string, unknown> = {};
    if (issue) {
      variables.object = variables.content = issue.object.snapshot;
      if (issue.actor) variables.actor = issue.actor.snapshot;
      if (issue.target) variables.target = issue.target.snapshot;
    }
    if (message.to.length === 1) variables.contact = { ...message.to[0] };
    return { notification: issue?.notification ?? null, issueId: record?.issueId ?? null, variables };
  };
  const outbox = new Outbox(origin);
  const inner = createVox<DB>({
    ...rest,
    database: database ?? { dialect: 'sqlite', path: ':memory:' },
    backends: backends.map((backend) => outbox.capture(backend)),
    worker: deliver ? (worker ?? { sweepIntervalMs: 50 }) : false,
  });
  const issueIds: number[] = [];
  /** Issues drain() has not yet seen fanned out (or gone, with their rolled-back transaction). */
  const unfanned = new Set<number>();
  const saved = new Set<TestTemplate>();

  const issued = async (match: IssueMatch = {}, times?: number) => {
    checkMatch(match, ['notification', 'object', 'actor', 'target'], 'vox.issued', times);
    const found: IssueRecord[] = [];
    for (const id of issueIds) {
      const issue = await inner.issues.get(id);
      if (issue && issueMismatch(match, issue) === undefined) found.push(issue);
    }
    return found;
  };

  return {
    ...inner,
    outbox,
    model<T, const N extends NotificationsSpec = Record<never, string>>(name: string, modelOptions: ModelOptions<T, N>): ModelHandle<T, N> {
      const handle = inner.model(name, modelOptions);
      return {
        ...handle,
        notify: async (object, codename, ...args): Promise<IssueTicket> => {
          const ticket = await handle.notify(object, codename, ...args).catch((error: unknown) => {
            const hint = 'in a test, await vox.prepare() once the app has registered its models';
            if (error instanceof VoxError && error.code === ErrorCode.notificationNotSynced) throw new VoxError(error.code, `${error.message}; ${hint}`, { cause: error });
            if (/vox_issues/.test(String(error)) && /no such table|does not exist/.test(String(error))) throw new VoxError(ErrorCode.configuration, `Vox's tables do not exist; ${hint}`, { cause: error });
            throw error;
          });
          issueIds.push(ticket.issueId);
          unfanned.add(ticket.issueId);
          return ticket;
        },
      };
    },
    async prepare() {
      await inner.migrate();
      await inner.sync();
      for (const template of templates) {
        if (saved.has(template)) continue;
        await inner.templates.save(templateInput(template, inner.backends));
        saved.add(template);
      }
    },
    async drain(drainOptions = {}) {
      const timeoutMs = drainOptions.timeoutMs ?? 10_000;
      if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new VoxError(ErrorCode.invalidInput, `vox.drain(): timeoutMs must be a positive number of milliseconds, got ${show(timeoutMs)}`);
      if (!deliver) return;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const busy = await dueWork(inner, unfanned);
        if (busy === undefined) return;
        if (Date.now() > deadline) throw new VoxError(ErrorCode.delivery, `vox.drain(): still busy after ${timeoutMs} ms: ${busy}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    issued: (match) => issued(match),
    async assertIssued(match, assertOptions = {}) {
      const found = await issued(match, assertOptions.times);
      const wanted = assertOptions.times;
      if (found.length > 0 && (wanted === undefined || found.length === wanted)) return found[0]!;
      const what = `${wanted === undefined ? 'an issue' : `${wanted} issue${wanted === 1 ? '' : 's'}`} matching ${show(match)}`;
      if (found.length > 0) fail(`expected ${what}; ${found.length} matched:\n${found.map((i) => `  ${describeIssue(i)}`).join('\n')}`, wanted, found.length, 'assertIssued');
      const all = await issued();
      if (all.length === 0) fail(`expected ${what}, but notify() recorded no issue (a rolled-back transaction records none)`, match, [], 'assertIssued');
      const lines = all.map((i) => `  ${describeIssue(i)}: ${issueMismatch(match, i)}`);
      fail(`expected ${what}, but none of the ${all.length} recorded matches:\n${lines.join('\n')}`, match, all.map(issueSummary), 'assertIssued');
    },
    async assertNotIssued(match) {
      const found = await issued(match);
      if (found.length === 0) return;
      fail(`expected no issue matching ${show(match)}, but ${found.length} matched:\n${found.map((i) => `  ${describeIssue(i)}`).join('\n')}`, [], found.map(issueSummary), 'assertNotIssued');
    },
  };
}

/** A code template as `vox.templates.save` takes it. */
function templateInput(template: TestTemplate, backends: readonly Backend[]): TemplateInput {
  let backend = backends.find((b) => b.id === template.backend);
  if (template.backend === undefined) {
    if (backends.length !== 1) {
      throw new VoxError(ErrorCode.configuration, `the template of ${template.notification} names no backend, and the test Vox has ${backends.length === 0 ? 'none' : `several (${backends.map((b) => b.id).join(', ')})`}: give it one`);
    }
    backend = backends[0];
  }
  const fallback = '{{ notification.description }}';
  return {
    ...template,
    backend: backend?.id ?? template.backend ?? '',
    content: template.content ?? fallback,
    ...(template.subject === undefined && backend?.capabilities.subject ? { subject: fallback } : {}),
  };
}

/**
 * What is still due, in words, or undefined when nothing is. Forgets the issues of `unfanned` that
 * are fanned out or cancelled; an issue scheduled for later (notify()'s `delay`, `at`) is not due.
 */
async function dueWork(vox: Vox, unfanned: Set<number>): Promise<string | undefined> {
  for (const id of unfanned) {
    const issue = await vox.issues.get(id);
    if (!issue || issue.status === 'done' || issue.status === 'failed' || issue.status === 'cancelled') {
      unfanned.delete(id);
    } else if (issue.status === 'pending' && issue.dueAt !== null && issue.dueAt > new Date().toISOString()) {
      continue;
    } else {
      const state = issue.error ? `waits to be fanned out again after a failure: ${issue.error}` : issue.status === 'pending' ? 'is waiting for fan-out' : 'is being fanned out';
      return `issue ${id} (${issue.notification}) ${state}`;
    }
  }
  const now = new Date().toISOString();
  const [sending] = await vox.messages.list({ status: 'sending', limit: 1 });
  if (sending) return `message ${sending.id} (${sending.backend}) is sending`;
  // A message held by quiet hours is queued until its nextAttemptAt: not due before then.
  const queued = (await vox.messages.list({ status: 'queued' })).find((m) => m.nextAttemptAt === null || m.nextAttemptAt <= now);
  if (queued) return `message ${queued.id} (${queued.backend}) is queued`;
  const retry = (await vox.messages.list({ status: 'retrying' })).find((m) => m.nextAttemptAt !== null && m.nextAttemptAt <= now);
  return retry ? `message ${retry.id} (${retry.backend}) is due for a retry after: ${retry.error ?? 'a failure'}` : undefined;
}

function issueMismatch(match: IssueMatch, issue: IssueRecord): string | undefined {
  if (match.notification !== undefined && match.notification !== issue.notification) return `notification: expected ${show(match.notification)}, captured ${show(issue.notification)}`;
  for (const role of ['object', 'actor', 'target'] as const) {
    if (match[role] === undefined) continue;
    const found = mismatch(match[role], issue[role]?.snapshot, role);
    if (found) return found;
  }
  return undefined;
}

function describeIssue(issue: IssueRecord): string {
  return `issue ${issue.id} ${issue.notification} about ${issue.object.model} ${issue.object.id}${issue.actor ? ` by ${issue.actor.model} ${issue.actor.id}` : ''}`;
}

function issueSummary(issue: IssueRecord): Record<string, unknown> {
  return { notification: issue.notification, object: issue.object.snapshot, actor: issue.actor?.snapshot, target: issue.target?.snapshot };
}
