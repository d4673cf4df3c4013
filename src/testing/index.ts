export { testQueueContract } from './queue-contract.ts';
export type { QueueFactory } from './queue-contract.ts';
export { testBackendContract } from './backend-contract.ts';
export type { BackendHarness, BackendHarnessFactory } from './backend-contract.ts';
