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
 * Asks a later turn's timers phase for a new slice, then for one task's resumption. Timers of one
 * duration run in the order they were made, so the slice starts before the tasks resume; and the
 * event loop runs each timer's microtasks before the next, so a resumed task works up to its next
 * wait before another resumes: two tasks' statements never interleave (SQLite connections of one
 * thread would wait on each other's write locks).
 *
 * A timer, not an immediate: while an immediate is pending the event loop polls without blocking,
 * so a fan-out kept the host's thread running without a pause for as long as it lasted. To the
 * operating system that thread is then a CPU hog, and on a machine whose cores are all busy (the
 * database, the mail server, other processes) each wake-up it needs, such as the database's answer
 * to a notify(), waits for its turn on a core. With the next slice at least 1 ms away the loop
 * blocks in poll whenever nothing is ready: the thread sleeps between slices, and the kernel wakes
 * it as soon as an answer arrives. Fan-outs are bounded by the database and the mail server, not by
 * this thread, so they do not slow down (docs/benchmark-analysis.md).
 */
function askForTurn(): void {
  if (!sliceAsked) {
    sliceAsked = true;
    setTimeout(startSlice, 1);
  }
  setTimeout(resumeFirst, 1);
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
