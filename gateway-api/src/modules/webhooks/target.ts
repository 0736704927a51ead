import { lookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where webhooks may go (SSRF): a target's host is resolved, at creation and again at every attempt, and refused when
 * any of its addresses is not public unicast (loopback, private, link-local, unique-local, CGNAT, multicast, …, also
 * as IPv4-mapped IPv6, and cloud metadata). An attempt connects to the very addresses that were checked (see
 * {@link pinnedLookup}), so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
 */

/** Resolves a host name (or an IP literal) to every address it has: dns.lookup with `all`, or a stand-in in tests. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => {
    lookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** A target refused: why, in words fit for the caller (which address, which range). */
export class TargetForbidden extends Error {
  override readonly name = 'TargetForbidden';
}

const metadataAddresses = new Set(['169.254.169.254', 'fd00:ec2:0:0:0:0:0:254', '100.100.100.200']);

const rangeWords: Readonly<Record<string, string>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (RFC 1918)',
  reserved: 'reserved',
  uniqueLocal: 'unique-local (fc00::/7)',
  ipv4Mapped: 'IPv4-mapped',
  rfc6145: 'IPv4-translated',
  rfc6052: 'IPv4-embedded (NAT64)',
  '6to4': '6to4',
  teredo: 'Teredo',
};

/** Why `address` may not be called, or undefined when it is a public unicast address. */
export function forbiddenAddress(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  // ::ffff:127.0.0.1 is 127.0.0.1 to the kernel.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  if (metadataAddresses.has(parsed.toNormalizedString())) return `${address} is a cloud metadata address`;
  const range = parsed.range();
  return range === 'unicast' ? undefined : `${address} is a ${rangeWords[range] ?? range} address`;
}

/** A URL's host as the resolver takes it (IPv6 literals without their brackets). */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves the target's host and checks every address (unless `allowPrivate`); throws {@link TargetForbidden} naming
 * the first address refused, or the host that does not resolve. Returns the addresses checked.
 */
export async function checkedAddresses(url: URL, resolveHost: ResolveHost, allowPrivate: boolean): Promise<LookupAddress[]> {
  const host = hostOf(url);
  let addresses: LookupAddress[];
  try {
    addresses = await resolveHost(host);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'no answer';
    throw new TargetForbidden(`the host ${host} does not resolve (${code})`);
  }
  if (addresses.length === 0) throw new TargetForbidden(`the host ${host} has no address`);
  if (!allowPrivate) {
    for (const { address } of addresses) {
      const why = forbiddenAddress(address);
      if (why !== undefined) throw new TargetForbidden(`${host === address ? '' : `${host} resolves to `}${why} (set WEBHOOK_ALLOW_PRIVATE=true to allow it)`);
    }
  }
  return addresses;
}

/** A `lookup` for http.request that answers with the addresses already checked, and never asks DNS again. */
export function pinnedLookup(addresses: readonly LookupAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((entry) => entry.family === options.family) : addresses;
    const first = wanted[0];
    if (first === undefined) {
      callback(Object.assign(new Error('no checked address of the family asked for'), { code: 'ENOTFOUND' }), '', 0);
      return;
    }
    if (options.all === true) callback(null, [...wanted]);
    else callback(null, first.address, first.family);
  };
}
