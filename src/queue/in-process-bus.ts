/** The embedded event bus: payloads reach this process's subscribers only (SQLite, one process). */
import type { EventBus } from '../vocabulary/inbox.ts';

/** An {@link EventBus} within one process. */
export class InProcessEventBus implements EventBus {
  readonly #listeners = new Set<(payload: string | null) => void>();

  async publish(payloads: readonly string[]): Promise<void> {
    for (const payload of payloads) for (const listener of [...this.#listeners]) listener(payload);
  }

  async subscribe(listener: (payload: string | null) => void): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}
