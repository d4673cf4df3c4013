/**
 * Sends the admin carries out once per form: the browser gives each form an `Idempotency-Key`
 * header, and a second request with the same key (a double click, a retried request) gets the
 * first one's answer instead of sending again.
 */

/** How long an answer is kept for repeats of its request. */
const KEEP_MS = 24 * 60 * 60 * 1000;
/** Most answers kept; the oldest go first. */
const MAX_KEYS = 10_000;

/** Answers by idempotency key, kept in this process. */
export class OncePerKey {
  readonly #answers = new Map<string, { readonly at: number; readonly answer: Promise<unknown> }>();

  /**
   * Runs `work` unless a request with `key` ran it already, and answers what that one answered,
   * saying whether this is a repeat. Without a key, `work` always runs. A failed run is
   * forgotten, so that the author can fix the form and send it again.
   */
  async run<T>(key: string | undefined, work: () => Promise<T>): Promise<{ readonly answer: T; readonly repeated: boolean }> {
    if (key === undefined) return { answer: await work(), repeated: false };
    const now = Date.now();
    for (const [k, entry] of this.#answers) {
      if (now - entry.at < KEEP_MS && this.#answers.size < MAX_KEYS) break;
      this.#answers.delete(k);
    }
    const earlier = this.#answers.get(key);
    if (earlier) return { answer: (await earlier.answer) as T, repeated: true };
    // Stored before the first await, so that a request arriving meanwhile finds it.
    const answer = work();
    this.#answers.set(key, { at: now, answer });
    try {
      return { answer: await answer, repeated: false };
    } catch (error) {
      this.#answers.delete(key);
      throw error;
    }
  }
}
