/**
 * The address ranges the SSRF guard refuses, each with the reason it is not a place a tool may reach.
 * Data only: classify.ts walks these tables in order, first match wins, anything unmatched is `public`.
 * Parsed once at module load; the tables are frozen constants, not state.
 */
import ipaddr from 'ipaddr.js';

/** Every class an address can fall in. Only `public` is dialable by default. */
export const ADDRESS_CLASSES = [
  'public',
  'loopback',
  'private',
  'link_local',
  'cgnat',
  'unique_local',
  'unspecified',
  'multicast',
  'broadcast',
  'reserved',
  // Not an IP address in canonical text form; never dialable (nothing may be dialled that was not classified).
  'invalid',
] as const;

export type AddressClass = (typeof ADDRESS_CLASSES)[number];

export interface AddressRange {
  readonly cidr: string;
  readonly class: Exclude<AddressClass, 'public' | 'invalid'>;
  readonly network: readonly [ipaddr.IPv4 | ipaddr.IPv6, number];
}

type RangeSpec = readonly [cidr: string, cls: AddressRange['class']];

function compile(specs: readonly RangeSpec[]): readonly AddressRange[] {
  return Object.freeze(
    specs.map(([cidr, cls]) => Object.freeze({ cidr, class: cls, network: Object.freeze(ipaddr.parseCIDR(cidr)) })),
  );
}

// Order matters only where ranges nest: 255.255.255.255 sits inside 240.0.0.0/4 and must come first.
export const IPV4_RANGES = compile([
  // "This network" (RFC 1122 §3.2.1.3); Linux and macOS connect 0.0.0.0 to the local host.
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  // RFC 1918 site-internal networks: the classic SSRF target (admin panels, databases, the proxy's own LAN).
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  // RFC 3927 link-local; 169.254.169.254 is the cloud metadata service that hands out instance credentials.
  ['169.254.0.0/16', 'link_local'],
  // RFC 6598 shared address space: inside a carrier's or a cloud provider's NAT, never the public internet.
  ['100.64.0.0/10', 'cgnat'],
  ['224.0.0.0/4', 'multicast'],
  // Limited broadcast (RFC 919); must precede 240.0.0.0/4.
  ['255.255.255.255/32', 'broadcast'],
  // Former class E (RFC 1112), never allocated; only reachable if someone routes it locally.
  ['240.0.0.0/4', 'reserved'],
  // IETF protocol assignments (RFC 6890): DS-Lite B4/AFTR 192.0.0.0/29, NAT64 discovery 192.0.0.170/171 —
  // infrastructure addresses of the local network, not services.
  ['192.0.0.0/24', 'reserved'],
  // TEST-NET-1/2/3 documentation ranges (RFC 5737): no legitimate backend lives there, so an answer in
  // them is a misconfiguration or a probe.
  ['192.0.2.0/24', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  // Benchmarking (RFC 2544): lab networks, often wired up inside data centres.
  ['198.18.0.0/15', 'reserved'],
  // Deprecated 6to4 relay anycast (RFC 7526): whatever answers there is the nearest relay, not a backend.
  ['192.88.99.0/24', 'reserved'],
]);

// Consulted before the embedded-IPv4 forms so that :: and ::1 (inside ::/96) keep their own class; no other
// entry overlaps an embedding prefix.
export const IPV6_RANGES = compile([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link_local'],
  // RFC 4193 unique local addresses: IPv6's private networks (AWS metadata also answers on fd00:ec2::254).
  ['fc00::/7', 'unique_local'],
  ['ff00::/8', 'multicast'],
  // Deprecated site-local (RFC 3879): still the private range of older stacks and routers.
  ['fec0::/10', 'reserved'],
  // Discard-only prefix (RFC 6666): a black hole by design.
  ['100::/64', 'reserved'],
  // Documentation (RFC 3849, RFC 9637): like TEST-NET, never a legitimate backend.
  ['2001:db8::/32', 'reserved'],
  ['3fff::/20', 'reserved'],
  // Benchmarking (RFC 5180): lab networks.
  ['2001:2::/48', 'reserved'],
  // ORCHID and ORCHIDv2 (RFC 4843, RFC 7343): cryptographic identifiers, not routable locators.
  ['2001:10::/28', 'reserved'],
  ['2001:20::/28', 'reserved'],
]);

/**
 * IANA has allocated only 2000::/3 for global unicast (RFC 4291 §2.4, IANA IPv6 address space registry);
 * an address outside it that no table above names (e.g. 4000::1, 5f00::/16 SRv6 SIDs per RFC 9602) is
 * unassigned and reachable only if some local router carries it, so it counts as `reserved`.
 */
export const IPV6_GLOBAL_UNICAST = Object.freeze(ipaddr.IPv6.parseCIDR('2000::/3'));
