import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Throttle } from './limits.ts';
import { nextAttempt, retryPolicy } from './retry.ts';

test('transient failures back off exponentially with jitter, up to the attempt limit', () => {
  const policy = retryPolicy({ attempts: 4, initialDelayMs: 1000, factor: 2, maxDelayMs: 3000, jitter: 0.5 });
  assert.deepEqual(nextAttempt(policy, 1, false, 0.5), { retry: true, delayMs: 1000 });
  assert.deepEqual(nextAttempt(policy, 2, false, 0.5), { retry: true, delayMs: 2000 });
  assert.deepEqual(nextAttempt(policy, 3, false, 0.5), { retry: true, delayMs: 3000 }, 'capped at maxDelayMs');
  assert.deepEqual(nextAttempt(policy, 1, false, 0), { retry: true, delayMs: 500 });
  assert.deepEqual(nextAttempt(policy, 1, false, 0.999999), { retry: true, delayMs: 1500 });
  assert.deepEqual(nextAttempt(policy, 4, false, 0.5), { retry: false }, 'the last attempt is the last');
  assert.deepEqual(nextAttempt(policy, 1, true, 0.5), { retry: false }, 'permanent failures never retry');
});

test('a throttle keeps concurrency within its limit', async () => {
  const throttle = new Throttle({ concurrency: 2 });
  let active = 0;
  let peak = 0;
  await Promise.all(
    Array.from({ length: 6 }, () =>
      throttle.run(async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
      }),
    ),
  );
  assert.equal(peak, 2);
});

test('a throttle spaces starts by its rate', async () => {
  const throttle = new Throttle({ concurrency: 10, ratePerSecond: 20 });
  const started = Date.now();
  const starts = await Promise.all(Array.from({ length: 6 }, () => throttle.run(async () => Date.now() - started)));
  // Six starts at 20 per second span at least five intervals of 50 ms, whatever the machine's speed.
  assert.ok(Math.max(...starts) >= 245, `last start at ${Math.max(...starts)} ms`);
});

test('a throttle whose shared start times cannot be had keeps its own pace', async () => {
  const throttle = new Throttle({ concurrency: 10, ratePerSecond: 20 }, async () => {
    throw new Error('database unreachable');
  });
  const started = Date.now();
  const starts = await Promise.all(Array.from({ length: 6 }, () => throttle.run(async () => Date.now() - started)));
  assert.ok(Math.max(...starts) >= 245, `last start at ${Math.max(...starts)} ms`);
});
