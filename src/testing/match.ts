/**
 * Partial matching and failure messages for the app-testing assertions of `vox/testing`: what an
 * expectation asks of a captured value, and how a mismatch is told. No test framework is used:
 * a failed assertion throws Node's `AssertionError`, which node:test, Vitest and Jest all report.
 */
import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';

/**
 * Why `actual` does not match `expected`, as `path: expected …, captured …`; undefined when it
 * matches. `expected` is the value itself, a RegExp the text must match, or, for objects, some of
 * the keys (the others are not compared); arrays are compared item by item and must be as long.
 */
export function mismatch(expected: unknown, actual: unknown, path: string): string | undefined {
  if (expected instanceof RegExp) {
    return typeof actual === 'string' && expected.test(actual) ? undefined : `${path}: expected to match ${String(expected)}, captured ${show(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array ${show(expected)}, captured ${show(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items ${show(expected)}, captured ${actual.length}: ${show(actual)}`;
    for (const [i, item] of expected.entries()) {
      const found = mismatch(item, actual[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (isPlainObject(expected)) {
    if (typeof actual !== 'object' || actual === null) return `${path}: expected an object ${show(expected)}, captured ${show(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const found = mismatch(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
      if (found) return found;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${path}: expected ${show(expected)}, captured ${show(actual)}`;
}

/** A value as failure messages show it: short, on one line. */
export function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 200, maxArrayLength: 20 });
}

/** Throws an `AssertionError` with `message`, carrying what was expected and what was captured for reporters that show a diff. */
export function fail(message: string, expected: unknown, actual: unknown, operator: string): never {
  throw new AssertionError({ message, expected, actual, operator });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Refuses, with `VOX_INVALID_INPUT`, a match that is not an object or names a field `allowed` does
 * not have (a typo would otherwise match everything), and a `times` that is not a positive integer.
 */
export function checkMatch(match: unknown, allowed: readonly string[], assertion: string, times?: unknown): void {
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    throw new VoxError(ErrorCode.invalidInput, `${assertion} takes an object with some of ${allowed.join(', ')}; got ${show(match)}`);
  }
  const unknown = Object.keys(match).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new VoxError(ErrorCode.invalidInput, `${assertion}: unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; a match has ${allowed.join(', ')}`);
  }
  if (times !== undefined && !(Number.isInteger(times) && (times as number) > 0)) {
    throw new VoxError(ErrorCode.invalidInput, `${assertion}: times must be a positive integer, got ${show(times)}${times === 0 ? '; use the assertNot… assertion instead' : ''}`);
  }
}
