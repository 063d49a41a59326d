/**
 * Address classification for the SSRF guard. Pure: a string in, a class out; nothing is resolved or dialled.
 *
 * Input must be an IP address in the text form `node:net` accepts (dotted-quad IPv4, any IPv6 text form,
 * optionally with a zone id). Anything else (`127.1`, `0x7f000001`, `2130706433`) is `invalid`, not
 * re-interpreted: host normalization refuses those forms earlier, and the guard never guesses what a
 * socket library might make of them.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import {
  IPV4_RANGES,
  IPV6_GLOBAL_UNICAST,
  IPV6_RANGES,
  type AddressClass,
  type AddressRange,
} from './address-ranges.js';
import { embeddedIpv4, type EmbeddingForm } from './embedded-ipv4.js';

export { ADDRESS_CLASSES, type AddressClass } from './address-ranges.js';
export type { EmbeddingForm } from './embedded-ipv4.js';

export interface AddressClassification {
  readonly class: AddressClass;
  /** The range that decided the class (of the embedded IPv4 address when there is one); absent for public. */
  readonly range?: string;
  /** The IPv4 address an IPv6 address carries, which is what was classified. */
  readonly embedded?: string;
  readonly embedding?: EmbeddingForm;
}

/**
 * Classes no configuration can make dialable: they are not a single remote host (multicast, broadcast),
 * mean "this host" in disguise (0.0.0.0, ::), or could not be classified at all.
 */
export const NEVER_DIALABLE = ['unspecified', 'multicast', 'broadcast', 'invalid'] as const satisfies readonly AddressClass[];

const PUBLIC: AddressClassification = Object.freeze({ class: 'public' });
const INVALID: AddressClassification = Object.freeze({ class: 'invalid' });
const UNALLOCATED_IPV6: AddressClassification = Object.freeze({ class: 'reserved', range: 'outside 2000::/3' });

/** Classify one IP address. Never throws. */
export function classifyAddress(ip: string): AddressClassification {
  const family = isIP(ip);
  if (family === 0) return INVALID;
  return family === 4 ? classifyIpv4(ipaddr.IPv4.parse(ip)) : classifyIpv6(parseIpv6(ip));
}

export type RefusableClass = Exclude<AddressClass, 'public'>;

/**
 * The class that forbids dialling this address, or null when it may be dialled. `privateAllowed` is true
 * when the host is listed in upstream.allowPrivate, which opens every class except NEVER_DIALABLE.
 */
export function blockingClass(cls: AddressClass, privateAllowed: boolean): RefusableClass | null {
  if (cls === 'public') return null;
  if (privateAllowed && !(NEVER_DIALABLE as readonly AddressClass[]).includes(cls)) return null;
  return cls;
}

/** One line for audit details and logs, e.g. `::ffff:a9fe:a9fe embeds 169.254.169.254 (ipv4_mapped): link_local 169.254.0.0/16`. */
export function explainClassification(ip: string, classification: AddressClassification): string {
  const { embedded, embedding, range } = classification;
  const subject = embedded === undefined ? ip : `${ip} embeds ${embedded} (${embedding ?? 'embedded'})`;
  return range === undefined ? `${subject}: ${classification.class}` : `${subject}: ${classification.class} ${range}`;
}

/**
 * ipaddr.js reads the deprecated `::a.b.c.d` as `::ffff:a.b.c.d`, a different address. WHATWG URL parsing
 * rewrites a dotted tail into hex groups faithfully, so ipaddr.js only ever sees hex. The zone id (which
 * URL refuses) names an interface, not part of the address, and does not affect the class.
 */
function parseIpv6(text: string): ipaddr.IPv6 {
  const zoneAt = text.indexOf('%');
  const bare = zoneAt === -1 ? text : text.slice(0, zoneAt);
  return ipaddr.IPv6.parse(new URL(`http://[${bare}]/`).hostname.slice(1, -1));
}

function classifyIpv4(address: ipaddr.IPv4): AddressClassification {
  return fromRange(firstMatch(address, IPV4_RANGES));
}

function classifyIpv6(address: ipaddr.IPv6): AddressClassification {
  const named = firstMatch(address, IPV6_RANGES);
  if (named !== undefined) return fromRange(named);
  const embedded = embeddedIpv4(address);
  if (embedded !== null) {
    const inner = classifyIpv4(ipaddr.IPv4.parse(embedded.address));
    return { ...inner, embedded: embedded.address, embedding: embedded.form };
  }
  const [globalUnicast, bits] = IPV6_GLOBAL_UNICAST;
  return address.match(globalUnicast, bits) ? PUBLIC : UNALLOCATED_IPV6;
}

function firstMatch(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly AddressRange[]): AddressRange | undefined {
  // Each table holds one family only, so match() never compares an IPv4 with an IPv6 network (which throws).
  return ranges.find(({ network: [base, bits] }) => address.match(base, bits));
}

function fromRange(range: AddressRange | undefined): AddressClassification {
  return range === undefined ? PUBLIC : { class: range.class, range: range.cidr };
}
