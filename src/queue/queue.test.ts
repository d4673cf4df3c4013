import { randomBytes } from 'node:crypto';
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
