// The throttle's concurrency: a send that ends hands its place to the one waiting, which may wait
// for a turn of the event loop before it starts; nothing that arrives meanwhile takes that place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Throttle } from './limits.ts';

test('never more sends at once than the concurrency, while a place is handed over across a turn of the loop', async () => {
  const throttle = new Throttle({ concurrency: 2 });
  let running = 0;
  let most = 0;
  const send = async (ms: number) => {
    running++;
    most = Math.max(most, running);
    // Busy for longer than a slice, so that the next one waits for a turn before it starts.
    const until = performance.now() + 3;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, ms));
    running--;
  };
  const started: Promise<unknown>[] = [];
  for (let i = 0; i < 6; i++) started.push(throttle.run(() => send(5)));
  // Newcomers arriving just as places are handed over, in the turns the waiting ones yield.
  for (let i = 0; i < 6; i++) started.push(new Promise((resolve) => setTimeout(resolve, 4 + i * 3)).then(() => throttle.run(() => send(2))));
  await Promise.all(started);
  assert.equal(most, 2);
  assert.equal(running, 0);
});
