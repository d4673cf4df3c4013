/** `vox/testing`: helpers for people who write backends and queue adapters. */
export { testQueueContract } from './queue-contract.ts';
export type { QueueFactory } from './queue-contract.ts';
export { testBackendContract } from './backend-contract.ts';
export type { BackendHarness, BackendHarnessFactory } from './backend-contract.ts';
