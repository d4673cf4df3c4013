/** Where webhooks may be sent: addresses checked against refused ranges, at DNS lookup time too (SSRF guard). */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

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

/** Ranges no webhook may reach unless allowed: loopback, private, link-local, shared, multicast, reserved. */
const REFUSED_RANGES: readonly (readonly [string, number, 'ipv4' | 'ipv6', string])[] = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'reserved (IETF)'],
  ['192.0.2.0', 24, 'ipv4', 'reserved (documentation)'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'],
  ['198.51.100.0', 24, 'ipv4', 'reserved (documentation)'],
  ['203.0.113.0', 24, 'ipv4', 'reserved (documentation)'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['::1', 128, 'ipv6', 'loopback'],
  ['::', 96, 'ipv6', 'IPv4-compatible'],
  ['100::', 64, 'ipv6', 'discard'],
  ['2001:db8::', 32, 'ipv6', 'reserved (documentation)'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const refused = REFUSED_RANGES.map(([network, prefix, type, label]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, type);
  return { list, label };
});

/** Why an IP address is refused (its kind, e.g. `loopback`), or undefined for a public address. */
export function refusedKind(address: string): string | undefined {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  // IPv4 inside IPv6 (mapped ::ffff:a.b.c.d is handled by BlockList; NAT64 and 6to4 here) is judged as IPv4.
  const embedded = type === 'ipv6' ? embeddedIPv4(address) : undefined;
  if (embedded) return refusedKind(embedded);
  return refused.find((r) => r.list.check(address, type))?.label;
}

/** The IPv4 address a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address carries. */
function embeddedIPv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((w) => w === 0)) return v4(words[6] ?? 0, words[7] ?? 0);
  if (words[0] === 0x2002) return v4(words[1] ?? 0, words[2] ?? 0);
  return undefined;
}

function ipv6Words(address: string): number[] | undefined {
  if (address.includes('.')) return undefined;
  const [head = '', tail] = address.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => parseInt(w, 16)));
  const start = parse(head);
  const end = tail === undefined ? [] : parse(tail);
  const words = [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
  return words.length === 8 && words.every((w) => Number.isInteger(w)) ? words : undefined;
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
