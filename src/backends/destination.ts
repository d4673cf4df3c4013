/** Where webhooks may be sent: addresses checked against refused ranges, at DNS lookup time too (SSRF guard). */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where a webhook may be sent. An address comes from data anyone with admin access can edit (a
 * site contact), so by default a webhook may not reach this machine or its private network: the
 * host name is resolved and every address checked, at connection time, so a name that resolves
 * to a private address later (DNS rebinding) is refused too.
 */
export interface DestinationOptions {
  /**
   * Private, loopback or link-local destinations permitted all the same: host names (as written
   * in the URL), IP addresses, or CIDR ranges such as `10.0.0.0/8` or `fd00::/8`.
   * @default []
   */
  readonly allowHosts?: readonly string[];
}

/**
 * Ranges named by ipaddr.js (a maintained list of the special-purpose registries) whose addresses
 * carry an IPv4 address: judged by that address. Every other range but `unicast` is refused.
 */
const CARRIES_IPV4 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4']);

/** How refusals name ipaddr.js's ranges; others by their own name. */
const LABELS: Readonly<Record<string, string>> = {
  linkLocal: 'link-local',
  carrierGradeNat: 'shared (carrier-grade NAT)',
  uniqueLocal: 'unique local (private)',
  teredo: 'Teredo tunnel',
  as112: 'reserved (AS112)',
  as112v6: 'reserved (AS112)',
  amt: 'reserved (AMT)',
  orchid2: 'reserved (ORCHIDv2)',
  droneRemoteIdProtocolEntityTags: 'reserved (DRIP)',
};

const labelOf = (range: string): string | undefined => (range === 'unicast' ? undefined : (LABELS[range] ?? range));

/** Why an IP address is refused (its range's name, e.g. `loopback`), or undefined for a public address. */
export function refusedKind(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return labelOf(parsed.range());
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  const bytes = v6.toByteArray();
  if (CARRIES_IPV4.has(range)) {
    // 6to4 carries it after the 2002: prefix; the others in the last 32 bits.
    const at = range === '6to4' ? 2 : 12;
    return refusedKind(bytes.slice(at, at + 4).join('.'));
  }
  // The deprecated IPv4-compatible form (::a.b.c.d), which ipaddr.js counts as unicast.
  if (bytes.slice(0, 12).every((b) => b === 0) && range === 'unicast') return refusedKind(bytes.slice(12).join('.'));
  return labelOf(range);
}

/** Decides which destinations are permitted; see {@link DestinationOptions}. */
export class DestinationGuard {
  readonly #hosts = new Set<string>();
  readonly #allowed = new BlockList();

  constructor(options: DestinationOptions = {}) {
    for (const entry of options.allowHosts ?? []) {
      const [network = '', prefix] = entry.split('/');
      const type = isIP(network);
      if (type === 0) this.#hosts.add(entry.toLowerCase().replace(/^\[|\]$/g, ''));
      else if (prefix === undefined) this.#allowed.addAddress(network, type === 6 ? 'ipv6' : 'ipv4');
      else this.#allowed.addSubnet(network, Number(prefix), type === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /** Why `address` (what `host` resolved to) may not be reached, or undefined when it may. */
  problem(host: string, address: string): string | undefined {
    const kind = refusedKind(address);
    if (kind === undefined || this.#hosts.has(host.toLowerCase()) || this.#allowed.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4')) return undefined;
    const shown = host === address ? address : `${host} (${address})`;
    return `refused to send to ${shown}: it is a ${kind} address; list it in the backend's allowHosts option if this webhook is meant to reach it`;
  }

  /** A `lookup` for node:http that checks every address a host name resolves to before connecting. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 4);
      for (const { address } of addresses) {
        const problem = this.problem(hostname, address);
        if (problem) return callback(new DestinationRefusedError(problem), '', 4);
      }
      const first = addresses[0];
      if (options.all) (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
    });
  };
}

/** A connection the guard refused; permanent, since trying again reaches the same place. */
export class DestinationRefusedError extends Error {
  readonly code = 'EDESTINATION';

  constructor(message: string) {
    super(message);
    this.name = 'DestinationRefusedError';
  }
}
