/**
 * Throttling during fan-out: before a batch of messages is rendered, each recipient's count of the
 * notification in its window is raised in one statement; a message over the limit is skipped (a
 * `skipped` row, `VOX_THROTTLED`) or its event goes to the recipient's overflow digest.
 */
import type { Contact } from '../vocabulary/contact.ts';
import type { DigestSettings, ThrottleSpec } from '../vocabulary/digest.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { DigestEvent } from '../store/digests.ts';
import type { DigestGatherer } from './digests.ts';
import type { Engine } from './engine.ts';

/** What the fan-out plans for one recipient; only `send` plans to one contact are counted. */
interface Plan {
  readonly kind: string;
  readonly to: readonly Contact[];
  readonly own?: Record<string, unknown>;
  readonly key: string;
  /** The recipient and its time zone, for the overflow digest. */
  readonly who?: DigestEvent['who'];
  readonly zone?: unknown;
}

/** The digest that gathers what is over a throttle's limit: closed when the throttle's window ends. */
export function overflowDigest(throttle: Required<ThrottleSpec>): DigestSettings {
  return { window: throttle.window, mode: 'fixed', maxWait: throttle.window, key: null, maxItems: null, items: { keep: 'last', count: 10 } };
}

/** The batch with each message over its recipient's limit skipped, or handed to `overflow` and left out. */
export async function throttled<P extends Plan>(engine: Engine, notification: string, protocol: string, batch: readonly P[], throttle: Required<ThrottleSpec>, overflow: DigestGatherer | undefined): Promise<(P | { kind: 'skipped'; to: readonly Contact[]; error: VoxError; key: string })[]> {
  const address = (plan: P) => (plan.kind === 'send' && plan.to.length === 1 ? plan.to[0]?.address : undefined);
  const addresses = [...new Set(batch.map(address).filter((a) => a !== undefined))];
  const counts = await engine.store.throttles.count(notification, protocol, addresses, throttle.window);
  const out: (P | { kind: 'skipped'; to: readonly Contact[]; error: VoxError; key: string })[] = [];
  for (const plan of batch) {
    const to = address(plan);
    if (to === undefined || (counts.get(to) ?? 0) <= throttle.limit) {
      out.push(plan);
      continue;
    }
    if (overflow && plan.own) {
      await overflow.add(plan.to[0] as Contact, to, plan.own, plan.who ?? null, plan.zone);
      continue;
    }
    const error = new VoxError(ErrorCode.throttled, `throttled: ${to} had ${throttle.limit} message${throttle.limit === 1 ? '' : 's'} of ${notification} within ${throttle.window / 1000} s`);
    out.push({ kind: 'skipped', to: plan.to, error, key: plan.key });
  }
  return out;
}
