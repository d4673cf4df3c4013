/**
 * node:test for the contract suites, loaded when a suite is declared rather than when `vox/testing`
 * is imported: an app's tests under Vitest or Jest import `vox/testing` for createTestVox, and
 * those runners need not resolve node:test.
 */
import { createRequire } from 'node:module';
import type * as NodeTest from 'node:test';

/** `describe` and `test` of node:test. */
export function nodeTest(): Pick<typeof NodeTest, 'describe' | 'test'> {
  return createRequire(import.meta.url)('node:test') as typeof NodeTest;
}
