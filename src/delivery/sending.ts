/** Sending: claiming due messages, one attempt each through its backend, retries, refusals and resends. */
import type { ClaimedMessage } from '../store/rows.ts';
import { later } from '../store/rows.ts';
import type { Backend } from '../vocabulary/backend.ts';
import { ErrorCode, VoxError, errorText } from '../vocabulary/errors.ts';
import type { MessageOutcome, ResendOutcome } from '../vocabulary/model.ts';
import type { OutboundMessage } from '../vocabulary/payload.ts';
import type { Composer } from './composing.ts';
import type { Engine } from './engine.ts';
import { Throttle } from './limits.ts';
import { failureOf, outcomeOf, unknownBackend } from './outcomes.ts';
import { nextAttempt } from './retry.ts';
import type { Feedback } from './feedback.ts';
import { SentRecords } from './sent-records.ts';
import { shareTheLoop } from './turns.ts';

/** Sends claimed messages through their backends and logs every outcome. */
export class Sender {
  readonly #engine: Engine;
  readonly #composer: Composer;
  readonly #sentRecords: SentRecords;
  readonly #throttles = new Map<string, Throttle>();

  constructor(engine: Engine, composer: Composer, feedback: Feedback) {
    this.#engine = engine;
    this.#composer = composer;
    this.#sentRecords = new SentRecords(engine.store.claims, (batch) => feedback.applyPending(batch));
  }

  /**
   * Sends due messages until none is left or `stop()` says so. Keeps up to `sendBatchSize` in
   * flight, claiming more as sends finish, so that the backends never wait for a whole batch.
   */
  async sendDue(stop: () => boolean = () => false): Promise<void> {
    const limit = this.#engine.settings.sendBatchSize;
    // A message leaves the window once the backend has answered; its record in the log is written
    // with others' (see SentRecords), and the loop waits for those records only at the end. One
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
      const claimed = await this.#engine.store.claims.takeDue(limit - inFlight, this.#engine.settings.leaseMs, this.#engine.dialect);
      if (claimed.length === 0) {
        if (inFlight === 0) break;
        await new Promise<void>((resolve) => (slotFreed = resolve));
        continue;
      }
      for (const message of claimed) {
        // Starting a send builds its message synchronously: a claim's worth would hold the loop.
        await shareTheLoop();
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
            () => this.#engine.events.emit('progress'),
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
  async resend(ids: readonly number[]): Promise<ResendOutcome[]> {
    const claimed = new Map((await this.#engine.store.claims.takeFailed(ids, this.#engine.settings.leaseMs)).map((m) => [m.id, m]));
    const outcomes: ResendOutcome[] = [];
    for (const id of ids) {
      const message = claimed.get(id);
      if (!message) {
        const current = await this.#engine.store.messages.get(id);
        outcomes.push(
          current
            ? { ...outcomeOf({ ...current, error: `message ${id} is ${current.status}; only failed messages are resent` }), status: 'not_resent' }
            : { id, backend: '', templateId: null, to: [], status: 'not_resent', error: `message ${id} does not exist` },
        );
        continue;
      }
      outcomes.push(...(await this.#attempt(message, false)));
    }
    this.#engine.events.emit('progress');
    return outcomes;
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
      const next = retry ? nextAttempt(this.#engine.settings.retry, message.attempts, failure.permanent, Math.random()) : { retry: false as const };
      if (next.retry) {
        await this.#engine.store.messages.update(message.id, { status: 'retrying', ...failure, nextAttemptAt: later(next.delayMs), lockedUntil: null });
        this.#engine.wake({ kind: 'send' }, next.delayMs);
        return [outcomeOf({ ...message, status: 'retrying', error: failure.error })];
      }
      await this.#engine.store.messages.update(message.id, { status: 'failed', ...failure, lockedUntil: null, nextAttemptAt: null });
      return [outcomeOf({ ...message, status: 'failed', error: failure.error })];
    };
    const backend = this.#engine.backends.get(message.backend);
    if (!backend) return fail(unknownBackend(message.backend));
    let { payload, from } = message;
    try {
      if (payload === null) {
        // Rendering failed at fan-out; render again with the current template (a resend after a fix).
        const template = message.templateId === null ? undefined : await this.#engine.store.templates.get(message.templateId);
        if (!template || message.renderContext === null) {
          throw new VoxError(ErrorCode.invalidInput, `message ${message.id} failed before it could be rendered (${message.error ?? 'no error recorded'}); fix the cause and issue the notification again`);
        }
        const rendered = await this.#composer.render(
          template,
          backend,
          message.renderContext as Record<string, unknown>,
          await this.#composer.attachmentsFromIssue(message.issueId, template),
          await this.#composer.composeContextFromIssue(message.issueId, message.to),
        );
        payload = rendered.payload;
        from = rendered.from ?? null;
        await this.#engine.store.messages.update(message.id, { status: 'sending', payload, subject: payload.subject ?? null, from, renderContext: null });
      }
    } catch (error) {
      await this.#engine.store.messages.update(message.id, { status: 'failed', ...failureOf(error), permanent: true, lockedUntil: null });
      return [outcomeOf({ ...message, status: 'failed', error: errorText(error) })];
    }
    const outbound: OutboundMessage = { id: message.id, idempotencyKey: message.idempotencyKey, from: from ?? undefined, to: message.to, payload };
    let result: Awaited<ReturnType<Backend['send']>>;
    try {
      const sendResult = await this.#throttle(backend.id).run(async () => {
        // A message that waited long for its turn may have lost its lease to another worker.
        if (message.lockedUntil !== null && Date.now() - claimedAt > this.#engine.settings.leaseMs / 2) {
          if (!(await this.#engine.store.claims.renewLease(message.id, message.lockedUntil, this.#engine.settings.leaseMs))) return undefined;
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
    await this.#sentRecords.record(message.id, result.providerMessageId ?? null);
    const delivered = message.to.filter((c) => !rejected.some((r) => r.address === c.address));
    const sent: MessageOutcome = { ...outcomeOf({ ...message, status: 'sent', error: null }), to: delivered.map((c) => c.address) };
    return [sent, ...refusals];
  }

  #throttle(backendId: string): Throttle {
    let throttle = this.#throttles.get(backendId);
    if (!throttle) {
      throttle = new Throttle(this.#engine.settings.backendLimits[backendId], (now, interval) => this.#engine.store.claims.takeSendSlot(backendId, now, interval));
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
      const next = retry ? nextAttempt(this.#engine.settings.retry, message.attempts, failure.permanent, Math.random()) : { retry: false as const };
      const id = await this.#engine.store.messages.insert({
        issueId: message.issueId,
        notificationId: message.notificationId,
        notification: message.notification,
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
      if (next.retry) this.#engine.wake({ kind: 'send' }, next.delayMs);
      outcomes.push({ id, backend: message.backend, templateId: message.templateId, to: [address], status: next.retry ? 'retrying' : 'failed', error: errorText(error) });
    }
    return outcomes;
  }
}
