/**
 * Sharing the host's event loop. Fan-out and sending run in the application's own process; work
 * that goes on for long without a turn of the event loop delays every request the host serves,
 * and every database answer that a notify() call waits for.
 */

/** How long delivery works, all of its tasks together, in one turn of the event loop. */
const SLICE_MS = 2;

/** When delivery's slice of the current turn began. */
let sliceStart = performance.now();
/** Tasks waiting for a slice, first come first served. */
const waiting: (() => void)[] = [];
let sliceAsked = false;

const spent = () => performance.now() - sliceStart >= SLICE_MS;

/**
 * Asks the next turn's check phase for a new slice, then for one task's resumption. Immediates
 * run in the order they were made, so the slice starts before the tasks resume; and the event
 * loop runs each immediate's microtasks before the next, so a resumed task works up to its next
 * wait before another resumes: two tasks' statements never interleave (SQLite connections of one
 * thread would wait on each other's write locks).
 */
function askForTurn(): void {
  if (!sliceAsked) {
    sliceAsked = true;
    setImmediate(startSlice);
  }
  setImmediate(resumeFirst);
}

function startSlice(): void {
  sliceAsked = false;
  sliceStart = performance.now();
}

/** Resumes the first waiting task while the slice lasts; once it is spent, the task keeps its place for the next turn. */
function resumeFirst(): void {
  if (waiting.length === 0) return;
  if (spent()) askForTurn();
  else waiting.shift()!();
}

/**
 * Resolves at once while delivery's slice of this turn lasts; once it is spent, waits for a later
 * turn. Called between units of work (a message rendered, a send started). The slice is shared:
 * however many fan-outs and send windows run, together they work about one slice per turn, so
 * that an answer from the database waits about that long behind delivery, not a slice per task.
 */
export function shareTheLoop(): Promise<void> {
  if (!spent()) return Promise.resolve();
  return new Promise((resolve) => {
    waiting.push(resolve);
    askForTurn();
  });
}
