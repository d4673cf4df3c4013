/** The contract every Queue adapter passes. */
import assert from 'node:assert/strict';
import { nodeTest } from './node-test.ts';
import type { Queue, QueueJob } from '../queue/queue.ts';

/** Makes a fresh queue for one contract test, and removes what it left behind. */
export type QueueFactory = () => Promise<{ readonly queue: Queue; cleanup(): Promise<void> }>;

/**
 * The contract every {@link Queue} adapter must keep, as node:test tests. Run it for your own
 * adapter the way Vox runs it for the in-process and BullMQ queues.
 *
 * @example
 * testQueueContract('my queue', async () => ({ queue: myQueue(), cleanup: async () => {} }));
 */
export function testQueueContract(name: string, create: QueueFactory, options: { readonly skip?: string | false } = {}): void {
  const { describe, test } = nodeTest();
  describe(`queue contract: ${name}`, { skip: options.skip ?? false }, () => {
    test('each enqueued job reaches the listener once', async () => {
      const { queue, cleanup } = await create();
      const controller = new AbortController();
      const seen: QueueJob[] = [];
      try {
        const listening = queue.listen(async (job) => {
          seen.push(job);
        }, { signal: controller.signal });
        await queue.enqueue({ kind: 'issue', issueId: 1 });
        await queue.enqueue({ kind: 'issue', issueId: 2 });
        await queue.enqueue({ kind: 'send' });
        await waitFor(() => seen.length >= 3);
        await new Promise((resolve) => setTimeout(resolve, 100));
        controller.abort();
        await listening;
        assert.deepEqual(
          seen.map((j) => (j.kind === 'issue' ? `issue ${j.issueId}` : 'send')).sort(),
          ['issue 1', 'issue 2', 'send'],
        );
      } finally {
        controller.abort();
        await queue.close?.();
        await cleanup();
      }
    });

    test('a delayed job waits for its delay', async () => {
      const { queue, cleanup } = await create();
      const controller = new AbortController();
      let handledAt = 0;
      try {
        const listening = queue.listen(async () => {
          handledAt = Date.now();
        }, { signal: controller.signal });
        const enqueuedAt = Date.now();
        await queue.enqueue({ kind: 'issue', issueId: 7 }, { delayMs: 300 });
        await waitFor(() => handledAt > 0);
        assert.ok(handledAt - enqueuedAt >= 250, `handled after ${handledAt - enqueuedAt} ms`);
        controller.abort();
        await listening;
      } finally {
        controller.abort();
        await queue.close?.();
        await cleanup();
      }
    });

    test('stopping waits for the job in flight to finish', async () => {
      const { queue, cleanup } = await create();
      const controller = new AbortController();
      let finished = false;
      let started = false;
      try {
        const listening = queue.listen(async () => {
          started = true;
          await new Promise((resolve) => setTimeout(resolve, 200));
          finished = true;
        }, { signal: controller.signal });
        await queue.enqueue({ kind: 'issue', issueId: 9 });
        await waitFor(() => started);
        controller.abort();
        await listening;
        assert.equal(finished, true, 'listen() resolved before its handler finished');
      } finally {
        controller.abort();
        await queue.close?.();
        await cleanup();
      }
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
