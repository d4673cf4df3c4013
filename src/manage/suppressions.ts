/**
 * `vox.suppressions`: the suppression list as apps, the admin and webhook handlers change it, with
 * input checked (known protocol and reason, field lengths) before anything is written.
 */
import type { Store } from '../store/store.ts';
import { ErrorCode, VoxError } from '../vocabulary/errors.ts';
import { SUPPRESSION_REASONS, type SuppressionInput, type SuppressionReason, type SuppressionRecord } from '../vocabulary/suppression.ts';
import { MAX_LENGTH, checkLength } from './field-lengths.ts';

/** Filters of {@link Suppressions.list}; newest first. */
export interface SuppressionFilter {
  readonly protocol?: string;
  /** A part of the address, compared without case. */
  readonly address?: string;
  readonly reason?: SuppressionReason;
  /** Suppressions with a smaller id: the next page. */
  readonly before?: number;
  /** @default 100 */
  readonly limit?: number;
}

/** The suppression list of a Vox instance: addresses no message may go to. */
export class Suppressions {
  readonly #store: Store;
  readonly #protocols: ReadonlySet<string>;

  constructor(store: Store, protocols: Iterable<string>) {
    this.#store = store;
    this.#protocols = new Set(protocols);
  }

  /**
   * Adds one address or many, in one transaction; an address already on the list keeps its first
   * reason. Returns how many were new. Bad input throws a coded error and nothing is written.
   *
   * @example
   * await vox.suppressions.add({ protocol: 'email', address: 'ann@example.org', reason: 'admin', source: 'admin:alan' });
   */
  async add(entries: SuppressionInput | readonly SuppressionInput[]): Promise<number> {
    const list: readonly SuppressionInput[] = Array.isArray(entries) ? entries : [entries as SuppressionInput];
    for (const entry of list) this.#check(entry);
    return this.#store.db.transaction().execute((trx) => this.#store.suppressions.add(list, trx));
  }

  /** Takes an address off the list; false when it was not on it. */
  async remove(protocol: string, address: string): Promise<boolean> {
    this.#checkProtocol(protocol);
    checkLength('address', address, MAX_LENGTH.address);
    return this.#store.suppressions.remove(protocol, address);
  }

  /** The list, newest first, filtered and paged. */
  async list(filter: SuppressionFilter = {}): Promise<SuppressionRecord[]> {
    checkLength('address', filter.address, MAX_LENGTH.query);
    const limit = filter.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new VoxError(ErrorCode.invalidInput, `limit must be a whole number from 1 to 1000, not ${String(limit)}`);
    return this.#store.suppressions.list({ ...filter, limit });
  }

  /** The suppressions among `addresses` of one protocol, keyed by address as compared (emails lower-cased). */
  async find(protocol: string, addresses: readonly string[]): Promise<Map<string, SuppressionRecord>> {
    return this.#store.suppressions.find(protocol, addresses);
  }

  #check(entry: SuppressionInput): void {
    if (typeof entry !== 'object' || entry === null) throw new VoxError(ErrorCode.invalidInput, 'a suppression must be an object like { protocol, address, reason, source }');
    this.#checkProtocol(entry.protocol);
    if (typeof entry.address !== 'string' || entry.address.trim() === '') throw new VoxError(ErrorCode.invalidInput, 'a suppression needs an address');
    checkLength('address', entry.address, MAX_LENGTH.address);
    if (!SUPPRESSION_REASONS.includes(entry.reason)) {
      throw new VoxError(ErrorCode.invalidInput, `reason must be one of ${SUPPRESSION_REASONS.join(', ')}, not ${JSON.stringify(entry.reason)}`);
    }
    if (typeof entry.source !== 'string' || entry.source.trim() === '') throw new VoxError(ErrorCode.invalidInput, 'a suppression needs a source (who or what added it)');
    checkLength('source', entry.source, MAX_LENGTH.key);
    if (entry.note !== undefined && entry.note !== null && typeof entry.note !== 'string') throw new VoxError(ErrorCode.invalidInput, 'note must be text');
    checkLength('note', entry.note, MAX_LENGTH.description);
  }

  #checkProtocol(protocol: unknown): void {
    if (typeof protocol !== 'string' || !this.#protocols.has(protocol)) {
      throw new VoxError(ErrorCode.unknownProtocol, `protocol ${JSON.stringify(protocol)} is not one Vox knows; protocols are ${[...this.#protocols].join(', ')}`);
    }
  }
}
