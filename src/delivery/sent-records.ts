/** Recording sent messages in batches, so that the log costs one statement per many sends. */
import type { MessageClaims } from '../store/claims.ts';

/** Sent messages recorded per statement at most, and how long a record may wait for others to join it. */
const SENT_BATCH = 256;
const SENT_DELAY_MS = 25;

/** Batches the sent records of one process's sends. */
export class SentRecords {
  readonly #claims: MessageClaims;
  /** Runs after each batch is written (delivery feedback applies the reports that came first). */
  readonly #afterSent: ((batch: readonly { id: number; providerMessageId: string | null }[]) => Promise<void>) | undefined;
  readonly #pending: { id: number; providerMessageId: string | null; resolve(): void; reject(error: unknown): void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #recording = false;

  constructor(claims: MessageClaims, afterSent?: (batch: readonly { id: number; providerMessageId: string | null }[]) => Promise<void>) {
    this.#claims = claims;
    this.#afterSent = afterSent;
  }

  /**
   * Records a sent message. Records are written together, one statement at a time: a batch goes
   * when it is full or `SENT_DELAY_MS` after its first record. The send window does not wait for
   * them, so the delay costs no throughput. Until recorded, rows stay `sending`: a crash in between
   * can only repeat messages that were in flight.
   */
  record(id: number, providerMessageId: string | null): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ id, providerMessageId, resolve, reject });
      if (!this.#recording) this.#schedule();
    });
  }

  /** Writes the waiting records now if they fill a batch, else once the first of them has waited `SENT_DELAY_MS`. */
  #schedule(): void {
    if (this.#pending.length >= SENT_BATCH) void this.#flush();
    else this.#timer ??= setTimeout(() => void this.#flush(), SENT_DELAY_MS);
  }

  async #flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#recording = true;
    const batch = this.#pending.splice(0, SENT_BATCH);
    try {
      await this.#claims.markSent(batch);
      try {
        await this.#afterSent?.(batch);
      } catch {
        // The reports stay orphans in the history, where the admin shows them; the sends are recorded.
      }
      for (const entry of batch) entry.resolve();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
    this.#recording = false;
    // What came meanwhile waits as a first record does, unless it fills a batch: writing it at
    // once would make a busy sender write a few records per statement, two statements at a time.
    if (this.#pending.length > 0) this.#schedule();
  }
}
