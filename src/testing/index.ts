export { testQueueContract } from './queue-contract.ts';
export type { QueueFactory } from './queue-contract.ts';
