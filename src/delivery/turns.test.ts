// Delivery's slice of each turn of the event loop is shared by all of its tasks: however many work
// at once, together they do about a slice's worth between two turns, and each of them gets slices.
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { shareTheLoop } from './turns.ts';

/** Busy for `ms` of wall time, as a message rendered or a send started is. */
const work = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

test('tasks working at once share one slice per turn of the event loop, and each of them gets turns', async () => {
  const UNIT_MS = 0.5;
  const UNITS = 30;
  // A turn of the event loop is seen as a tick of a chain of immediates, which runs once per turn.
  let units = 0;
  const perTurn: number[] = [];
  let ticking = true;
  const tick = () => {
    perTurn.push(units);
    units = 0;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const done: number[] = [];
  const task = async (name: number) => {
    for (let i = 0; i < UNITS; i++) {
      await shareTheLoop();
      work(UNIT_MS);
      units++;
    }
    done.push(name);
  };
  await Promise.all([1, 2, 3, 4].map(task));
  ticking = false;
  // A slice is 2 ms: four units of 0.5 ms fit, and the unit that crosses its end finishes. Were the
  // slice each task's own, four tasks would do up to twenty units between two turns.
  assert.ok(Math.max(...perTurn) <= 6, `units of work between two turns: ${perTurn.join(' ')}`);
  assert.deepEqual(done.sort(), [1, 2, 3, 4]);
  assert.ok(perTurn.filter((n) => n > 0).length >= (4 * UNITS) / 6, 'the work was spread over many turns');
});

test('a task left waiting when a slice runs out keeps its place ahead of one that has just worked', async () => {
  const order: string[] = [];
  // Spend the current slice, so that both tasks below wait for a turn.
  work(3);
  const a = (async () => {
    await shareTheLoop();
    order.push('a');
    work(3);
    await shareTheLoop();
    order.push('a');
  })();
  const b = (async () => {
    await shareTheLoop();
    order.push('b');
  })();
  await Promise.all([a, b]);
  // a worked first and spent the slice; b, left waiting at that turn, goes before a's second unit.
  assert.deepEqual(order, ['a', 'b', 'a']);
});

test('between slices the event loop waits in poll, so that a busy fan-out lets the host thread sleep', async () => {
  // Four tasks that always have work, for about 300 ms. Were each slice followed at once by the
  // next, the loop would never wait for I/O and its utilisation would be 1.
  const before = performance.eventLoopUtilization();
  const started = performance.now();
  const task = async () => {
    while (performance.now() - started < 300) {
      await shareTheLoop();
      work(0.5);
    }
  };
  await Promise.all([1, 2, 3, 4].map(task));
  const { utilization } = performance.eventLoopUtilization(before);
  assert.ok(utilization < 0.85, `event-loop utilisation while delivery was busy: ${utilization.toFixed(2)}`);
});
