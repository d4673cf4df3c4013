/**
 * Screening recipients during fan-out: the suppression list first, then recipients' preferences,
 * read for a batch of recipients at once (one query each per 500, never one per recipient). What
 * is screened out becomes a `skipped` row of the log with its reason.
 */
import type { Store } from '../store/store.ts';
import type { Contact } from '../vocabulary/contact.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import type { PreferenceRecord } from '../vocabulary/preferences.ts';
import type { NotificationRecord } from '../vocabulary/records.ts';
import { suppressionAddress, type SuppressionRecord } from '../vocabulary/suppression.ts';
import { optedOutText, resolvePreference, type PreferenceTarget } from './preferences.ts';

/** A recipient of a channel: its model and id (null for site contacts, who have no preferences) and contacts. */
export interface Screenable {
  readonly recipient: { readonly model: string; readonly id: string } | null;
  readonly contacts: readonly Contact[];
}

/**
 * Why one contact of a recipient gets nothing, per contact in the recipient's order (undefined:
 * it gets the message).
 */
export type Verdicts = readonly (VoxError | undefined)[];

/**
 * Suppression reasons a required notification ignores: someone who unsubscribed from everything
 * still gets the confirmation of a new subscription or a password reset; a bounced, complained-of
 * or admin-blocked address gets nothing.
 */
const REQUIRED_IGNORES: ReadonlySet<string> = new Set(['unsubscribed']);

/** Screens a batch of recipients for one notification on one protocol; one verdict list per recipient. */
export async function screen(store: Store, notification: NotificationRecord, protocol: string, batch: readonly Screenable[]): Promise<Verdicts[]> {
  const addresses = batch.flatMap((item) => item.contacts.map((c) => c.address));
  const suppressed = addresses.length === 0 ? new Map<string, SuppressionRecord>() : await store.suppressions.find(protocol, addresses);
  const preferences = notification.required ? new Map<string, Map<string, PreferenceRecord[]>>() : await preferencesOf(store, notification, batch);
  const target: PreferenceTarget = { key: notification.key, category: notification.category?.key ?? null, required: notification.required, defaults: notification.defaults };
  return batch.map((item) => {
    const stored = item.recipient ? (preferences.get(item.recipient.model)?.get(item.recipient.id) ?? []) : undefined;
    const resolved = stored === undefined ? undefined : resolvePreference(stored, target, protocol);
    return item.contacts.map((contact) => {
      const suppression = suppressed.get(suppressionAddress(protocol, contact.address));
      if (suppression && !(notification.required && REQUIRED_IGNORES.has(suppression.reason))) {
        const note = suppression.note ? `: ${suppression.note}` : '';
        return new VoxError(ErrorCode.suppressed, `suppressed (${suppression.reason}, by ${suppression.source} at ${suppression.createdAt}${note})`);
      }
      if (resolved && !resolved.enabled) return new VoxError(ErrorCode.optedOut, optedOutText(resolved, target, protocol));
      return undefined;
    });
  });
}

/** The preferences bearing on `notification` of the batch's recipients, by model, then id: one query per model and 500 ids. */
async function preferencesOf(store: Store, notification: NotificationRecord, batch: readonly Screenable[]): Promise<Map<string, Map<string, PreferenceRecord[]>>> {
  const ids = new Map<string, string[]>();
  for (const item of batch) {
    if (!item.recipient || item.contacts.length === 0) continue;
    const list = ids.get(item.recipient.model);
    if (list) list.push(item.recipient.id);
    else ids.set(item.recipient.model, [item.recipient.id]);
  }
  const found = new Map<string, Map<string, PreferenceRecord[]>>();
  for (const [model, list] of ids) {
    found.set(model, await store.preferences.forRecipients(model, list, { category: notification.category?.key ?? null, notification: notification.key }));
  }
  return found;
}

/**
 * Groups a stream into batches of `size`, screens each batch, and yields the items in order with
 * their verdicts. Other items (failures) pass through in place.
 */
export async function* screenedInBatches<T, S extends T & Screenable>(
  source: AsyncIterable<T>,
  size: number,
  isScreenable: (item: T) => item is S,
  judge: (batch: readonly S[]) => Promise<Verdicts[]>,
): AsyncGenerator<{ readonly item: T; readonly verdicts: Verdicts | undefined }> {
  let buffer: T[] = [];
  const release = async function* () {
    const screenable = buffer.filter(isScreenable);
    const verdicts = screenable.length === 0 ? [] : await judge(screenable);
    const byItem = new Map<T, Verdicts>(screenable.map((item, i) => [item, verdicts[i] ?? []]));
    const items = buffer;
    buffer = [];
    for (const item of items) yield { item, verdicts: byItem.get(item) };
  };
  for await (const item of source) {
    buffer.push(item);
    if (buffer.length >= size) yield* release();
  }
  if (buffer.length > 0) yield* release();
}
