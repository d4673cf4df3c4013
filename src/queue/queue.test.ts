/** Every queue runs the shared contract; the BullMQ adapter also shows its jobs to dashboards. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { testQueueContract } from '../testing/queue-contract.ts';
import { bullmq } from './bullmq.ts';
import { InProcessQueue } from './in-process.ts';

const redisUrl = process.env.VOX_TEST_REDIS_URL;

testQueueContract('in-process', async () => ({ queue: new InProcessQueue(), cleanup: async () => {} }));

testQueueContract(
  'BullMQ',
  async () => {
    // Each test gets its own queue name, so leftovers of one never reach another.
    const queue = bullmq({ connection: { url: redisUrl, maxRetriesPerRequest: null }, name: `vox-contract-${randomBytes(4).toString('hex')}` });
    return { queue, cleanup: async () => {} };
  },
  { skip: redisUrl ? false : 'VOX_TEST_REDIS_URL is not set: BullMQ tests skipped (.ci/run sets it)' },
);

test('the BullMQ adapter hands out its BullMQ Queue, where a dashboard sees the jobs it adds', { skip: redisUrl ? false : 'VOX_TEST_REDIS_URL is not set' }, async () => {
  const queue = bullmq({ connection: { url: redisUrl, maxRetriesPerRequest: null }, name: `vox-board-${randomBytes(4).toString('hex')}` });
  try {
    await queue.enqueue({ kind: 'issue', issueId: 7 }, { delayMs: 60_000 });
    const bull = queue.bullQueue();
    assert.equal(bull, queue.bullQueue(), 'one Queue, the one jobs are added to');
    const delayed = await bull.getDelayed();
    assert.deepEqual(
      delayed.map((job) => [job.id, job.name, job.data]),
      [['issue-7', 'issue', { kind: 'issue', issueId: 7 }]],
    );
    await bull.obliterate({ force: true });
  } finally {
    await queue.close();
  }
});
