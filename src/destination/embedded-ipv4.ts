/**
 * IPv6 forms that carry an IPv4 address inside them. A packet to such an address ends up at (or is
 * translated to) the embedded IPv4 host, so the SSRF guard must judge the embedded address, not the
 * IPv6 wrapper: `::ffff:169.254.169.254` reaches the metadata service just as `169.254.169.254` does.
 */
import ipaddr from 'ipaddr.js';

export type EmbeddingForm =
  | 'ipv4_mapped'
  | 'ipv4_compatible'
  | 'ipv4_translated'
  | 'nat64'
  | 'nat64_local'
  | '6to4'
  | 'teredo';

export interface EmbeddedIpv4 {
  readonly form: EmbeddingForm;
  readonly address: string; // dotted quad
}

interface EmbeddingRule {
  readonly form: EmbeddingForm;
  readonly network: readonly [ipaddr.IPv6, number];
  /** Where the four IPv4 bytes sit in the 16-byte address. */
  readonly offset: number;
  /** Teredo stores the client address bit-inverted (RFC 4380 §4) so NATs do not rewrite it. */
  readonly inverted: boolean;
}

function rule(form: EmbeddingForm, cidr: string, offset: number, inverted = false): EmbeddingRule {
  return Object.freeze({ form, network: Object.freeze(ipaddr.IPv6.parseCIDR(cidr)), offset, inverted });
}

// The prefixes do not overlap, so order is irrelevant.
const RULES: readonly EmbeddingRule[] = Object.freeze([
  // RFC 4291 §2.5.5.2: dual-stack sockets connect ::ffff:a.b.c.d over IPv4 to a.b.c.d.
  rule('ipv4_mapped', '::ffff:0:0/96', 12),
  // RFC 6145/2765 SIIT "IPv4-translated" addresses: a stateless translator delivers them to a.b.c.d.
  rule('ipv4_translated', '::ffff:0:0:0/96', 12),
  // RFC 4291 §2.5.5.1 deprecated IPv4-compatible ::a.b.c.d; some stacks still tunnel it to a.b.c.d.
  // :: and ::1 lie inside this prefix; classify.ts names them before consulting this table.
  rule('ipv4_compatible', '::/96', 12),
  // RFC 6052 well-known NAT64 prefix, /96 layout: the translator forwards to the last 32 bits.
  rule('nat64', '64:ff9b::/96', 12),
  // RFC 8215 local-use NAT64 block. The operator may carve a longer prefix out of it with any RFC 6052
  // layout; the /96 layout (last 32 bits) is what deployed translators use and what is read here. A
  // network running a local-use translator with a /48-/64 layout should list its prefix in the resolve
  // map rather than rely on this reading.
  rule('nat64_local', '64:ff9b:1::/48', 12),
  // RFC 3056 6to4: 2002:AABB:CCDD::/48 is routed through the IPv4 host AA.BB.CC.DD.
  rule('6to4', '2002::/16', 2),
  // RFC 4380 Teredo: 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC, client address inverted in the last 32 bits.
  rule('teredo', '2001::/32', 12, true),
]);

// ISATAP (RFC 5214, interface id ::0:5efe:a.b.c.d) is deliberately not unwrapped: the IPv6 prefix, not the
// interface id, decides where the packet goes, and that prefix is classified like any other address.

/** The IPv4 address an IPv6 address embeds, or null when it embeds none. */
export function embeddedIpv4(address: ipaddr.IPv6): EmbeddedIpv4 | null {
  const found = RULES.find(({ network: [base, bits] }) => address.match(base, bits));
  if (found === undefined) return null;
  const bytes = address.toByteArray().slice(found.offset, found.offset + 4);
  const octets = found.inverted ? bytes.map((byte) => byte ^ 0xff) : bytes;
  return { form: found.form, address: octets.join('.') };
}
