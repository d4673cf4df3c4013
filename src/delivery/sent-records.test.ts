import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageClaims } from '../store/claims.ts';
import { SentRecords } from './sent-records.ts';

type Batch = readonly { readonly id: number; readonly providerMessageId: string | null }[];

/** A log whose sent-record statement takes `ms`, and fails for the ids in `failing`; it keeps each statement's batch. */
function log(ms: number, failing: ReadonlySet<number> = new Set()) {
  const statements: { at: number; ids: number[] }[] = [];
  const claims = {
    async markSent(batch: Batch) {
      statements.push({ at: performance.now(), ids: batch.map((m) => m.id) });
      await sleep(ms);
      if (batch.some((m) => failing.has(m.id))) throw new Error('the database is gone');
    },
  } as unknown as MessageClaims;
  return { claims, statements };
}

test('a busy sender\'s records are written many per statement, each within the delay and one statement\'s time', async () => {
  const { claims, statements } = log(1);
  const afterSent: number[][] = [];
  const records = new SentRecords(claims, async (batch) => void afterSent.push(batch.map((m) => m.id)));
  const waits: Promise<number>[] = [];
  const started = performance.now();
  // 400 sends, 4 a millisecond: a fast statement used to take a few records each.
  for (let id = 0; id < 400; id++) {
    const recorded = performance.now();
    waits.push(records.record(id, `<${id}@example.com>`).then(() => performance.now() - recorded));
    if (id % 4 === 3) await sleep(1);
  }
  const latencies = await Promise.all(waits);
  // One statement per delay (25 ms) or so, however slow this machine's timers are; one per write (80 here) before.
  const elapsed = performance.now() - started;
  assert.ok(statements.length <= Math.ceil(elapsed / 25) + 2, `${statements.length} statements for 400 records in ${elapsed.toFixed(0)} ms`);
  assert.deepEqual(statements.flatMap((s) => s.ids), Array.from({ length: 400 }, (_, id) => id), 'each record written once, in order');
  assert.deepEqual(afterSent, statements.map((s) => s.ids), 'each batch looked for waiting reports once it was written');
  assert.ok(Math.max(...latencies) < 250, `the slowest record took ${Math.max(...latencies).toFixed(0)} ms`);
});

test('a full batch is written at once, without the delay', async () => {
  const { claims, statements } = log(1);
  const records = new SentRecords(claims);
  const started = performance.now();
  await Promise.all(Array.from({ length: 300 }, (_, id) => records.record(id, null)));
  assert.deepEqual(statements.map((s) => s.ids.length), [256, 44]);
  assert.ok(statements[0]!.at - started < 20, `the full batch waited ${(statements[0]!.at - started).toFixed(0)} ms`);
});

test('a failed statement fails its records; the records after it are still written', async () => {
  const { claims, statements } = log(1, new Set([3]));
  const records = new SentRecords(claims);
  const first = Array.from({ length: 5 }, (_, id) => records.record(id, null));
  const outcomes = await Promise.allSettled(first);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  await records.record(10, null);
  assert.deepEqual(statements.at(-1)?.ids, [10]);
});
