// The baseline: plain pooled Nodemailer sending the newsletter, as an application would without Vox.
import type { Transporter } from 'nodemailer';
import { plainMessage, subscriber, transportFor, type Sink } from './shared.ts';

/** The most messages the baseline keeps handed to Nodemailer and not yet sent, as a real sender bounds its queue. */
export const IN_FLIGHT = 1000;

/** For each of `count` subscribers, the newsletter's HTML and a hand-written text part, through one transport. */
export async function baseline(count: number, port: number, sink: Sink = 'smtp'): Promise<Record<string, number>> {
  if (sink === 'none') throw new Error('the baseline needs a Nodemailer transport');
  const transport = transportFor(sink, port) as Transporter;
  const startedAt = Date.now();
  const started = performance.now();
  let inFlight = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = () => {
    inFlight--;
    wake?.();
  };
  for (let i = 0; i < count && !failure; i++) {
    while (inFlight >= IN_FLIGHT) await new Promise<void>((resolve) => (wake = resolve));
    inFlight++;
    transport.sendMail(plainMessage(subscriber(i))).then(settle, (error: unknown) => {
      failure = error;
      settle();
    });
  }
  while (inFlight > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure) throw failure;
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return { startedAt, seconds };
}
