/**
 * Sharing the host's event loop. Fan-out and sending run in the application's own process; work
 * that goes on for long without a turn of the event loop delays every request the host serves,
 * and every database answer that a notify() call waits for.
 */

/** How long delivery works before it lets the event loop poll for I/O. */
const SLICE_MS = 2;

let resumedAt = performance.now();

/**
 * Gives the event loop a turn when delivery has worked for more than a slice since its last turn,
 * and resolves at once otherwise. Called between units of work (a message rendered, a send
 * started), so that no stretch of synchronous work lasts much longer than a slice.
 */
export async function shareTheLoop(): Promise<void> {
  if (performance.now() - resumedAt < SLICE_MS) return;
  await new Promise((resolve) => setImmediate(resolve));
  resumedAt = performance.now();
}
