/**
 * `vox/testing`: helpers for an application's tests (a test Vox with a captured outbox, drain and
 * assertions, usable with node:test, Vitest or Jest), and the contract suites for people who write
 * backends and queue adapters (node:test).
 */
export { createTestVox } from './test-vox.ts';
export type { IssueMatch, TestTemplate, TestVox, TestVoxOptions } from './test-vox.ts';
export type { Outbox, SentMatch, SentMessage } from './outbox.ts';
export { testQueueContract } from './queue-contract.ts';
export type { QueueFactory } from './queue-contract.ts';
export { testBackendContract } from './backend-contract.ts';
export type { BackendHarness, BackendHarnessFactory } from './backend-contract.ts';
