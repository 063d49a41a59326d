/**
 * Classifier specification. Addresses here are strings only: nothing is resolved or dialled.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ADDRESS_CLASSES,
  NEVER_DIALABLE,
  blockingClass,
  classifyAddress,
  explainClassification,
  type AddressClass,
  type EmbeddingForm,
} from '../../../src/destination/classify.js';

type Row = readonly [address: string, cls: AddressClass];
type EmbeddedRow = readonly [address: string, cls: AddressClass, form: EmbeddingForm, embedded: string];

const IPV4: readonly Row[] = [
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['93.184.215.14', 'public'],
  ['223.255.255.255', 'public'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['172.15.255.255', 'public'], // just below 172.16/12
  ['172.32.0.0', 'public'], // just above 172.16/12
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'link_local'], // cloud metadata service
  ['169.254.0.1', 'link_local'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['100.63.255.255', 'public'], // just below 100.64/10
  ['100.128.0.0', 'public'], // just above 100.64/10
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'], // SSDP
  ['255.255.255.255', 'broadcast'],
  ['255.255.255.254', 'reserved'], // class E, next to broadcast
  ['240.0.0.1', 'reserved'],
  ['192.0.0.170', 'reserved'], // NAT64 discovery (RFC 7050)
  ['192.0.2.1', 'reserved'], // TEST-NET-1
  ['192.0.3.1', 'public'], // next to TEST-NET-1
  ['198.51.100.7', 'reserved'], // TEST-NET-2
  ['203.0.113.9', 'reserved'], // TEST-NET-3
  ['198.18.0.1', 'reserved'], // benchmarking
  ['198.19.255.255', 'reserved'],
  ['198.20.0.0', 'public'], // just above 198.18/15
  ['192.88.99.1', 'reserved'], // deprecated 6to4 relay anycast
];

const IPV6: readonly Row[] = [
  ['2606:4700:4700::1111', 'public'],
  ['2001:4860:4860::8888', 'public'],
  ['2a00:1450:4001::200e', 'public'],
  ['2001:4:112::1', 'public'], // AS112 is a real, globally routed service
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['fe80::1', 'link_local'],
  ['fe80::1%eth0', 'link_local'],
  ['febf:ffff::1', 'link_local'],
  ['fc00::1', 'unique_local'],
  ['fd00:ec2::254', 'unique_local'], // AWS metadata over IPv6
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['fec0::1', 'reserved'], // deprecated site-local
  ['100::1', 'reserved'], // discard-only
  ['2001:db8::1', 'reserved'], // documentation
  ['3fff::1', 'reserved'], // documentation (RFC 9637)
  ['2001:2::1', 'reserved'], // benchmarking
  ['2001:10::1', 'reserved'], // ORCHID
  ['2001:20::1', 'reserved'], // ORCHIDv2
  ['4000::1', 'reserved'], // outside 2000::/3: unallocated
  ['5f00::1', 'reserved'], // SRv6 SIDs
  ['1::1', 'reserved'],
];

const EMBEDDED: readonly EmbeddedRow[] = [
  ['::ffff:169.254.169.254', 'link_local', 'ipv4_mapped', '169.254.169.254'],
  ['::FFFF:A9FE:A9FE', 'link_local', 'ipv4_mapped', '169.254.169.254'],
  ['::ffff:7f00:1', 'loopback', 'ipv4_mapped', '127.0.0.1'],
  ['0:0:0:0:0:ffff:10.1.2.3', 'private', 'ipv4_mapped', '10.1.2.3'],
  ['::ffff:0.0.0.0', 'unspecified', 'ipv4_mapped', '0.0.0.0'],
  ['::ffff:8.8.8.8', 'public', 'ipv4_mapped', '8.8.8.8'],
  ['::ffff:0:a9fe:a9fe', 'link_local', 'ipv4_translated', '169.254.169.254'],
  ['::ffff:0:808:808', 'public', 'ipv4_translated', '8.8.8.8'],
  ['::127.0.0.1', 'loopback', 'ipv4_compatible', '127.0.0.1'],
  ['::a00:1', 'private', 'ipv4_compatible', '10.0.0.1'],
  ['::2', 'unspecified', 'ipv4_compatible', '0.0.0.2'],
  ['::8.8.8.8', 'public', 'ipv4_compatible', '8.8.8.8'],
  ['64:ff9b::a9fe:a9fe', 'link_local', 'nat64', '169.254.169.254'],
  ['64:ff9b::10.0.0.1', 'private', 'nat64', '10.0.0.1'],
  ['64:ff9b::100.64.0.1', 'cgnat', 'nat64', '100.64.0.1'],
  ['64:ff9b::8.8.8.8', 'public', 'nat64', '8.8.8.8'],
  ['64:ff9b:1::7f00:1', 'loopback', 'nat64_local', '127.0.0.1'],
  ['64:ff9b:1:abcd::808:808', 'public', 'nat64_local', '8.8.8.8'],
  ['2002:a9fe:a9fe::1', 'link_local', '6to4', '169.254.169.254'],
  ['2002:a00:1::1', 'private', '6to4', '10.0.0.1'],
  ['2002:7f00:1::', 'loopback', '6to4', '127.0.0.1'],
  ['2002:e000:1::1', 'multicast', '6to4', '224.0.0.1'],
  ['2002:808:808::1', 'public', '6to4', '8.8.8.8'],
  // Teredo keeps the client address bit-inverted in the last 32 bits (~10.0.0.1 = f5ff:fffe).
  ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private', 'teredo', '10.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback', 'teredo', '127.0.0.1'],
  ['2001:0:4136:e378:8000:63bf:5601:5601', 'link_local', 'teredo', '169.254.169.254'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved', 'teredo', '192.0.2.45'], // RFC 4380 style example
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public', 'teredo', '8.8.8.8'],
];

// Forms host normalization refuses before the guard runs; the classifier must still not crash or guess.
const NOT_CANONICAL = [
  '127.1',
  '0x7f.0.0.1',
  '0x7f000001',
  '2130706433',
  '017700000001',
  '010.0.0.1',
  '256.0.0.1',
  '1.2.3.4.5',
  ' 8.8.8.8',
  '8.8.8.8 ',
  '[::1]',
  ':::1',
  '1::2::3',
  'fe80::1%',
  '::ffff:1.2.3',
  'localhost',
  'metadata.google.internal',
  '',
];

describe('classifyAddress', () => {
  it.each([...IPV4, ...IPV6])('%s is %s', (address, cls) => {
    expect(classifyAddress(address)).toMatchObject({ class: cls });
    expect(classifyAddress(address).embedded).toBeUndefined();
  });

  it.each(EMBEDDED)('%s is %s by its embedded address (%s %s)', (address, cls, form, inner) => {
    expect(classifyAddress(address)).toMatchObject({ class: cls, embedding: form, embedded: inner });
  });

  it.each(NOT_CANONICAL)('%j is invalid, not reinterpreted', (input) => {
    expect(classifyAddress(input)).toEqual({ class: 'invalid' });
  });

  it('has fixtures for every class and every embedding form', () => {
    const rows = [...IPV4, ...IPV6, ...EMBEDDED];
    const classes = new Set<AddressClass>([...rows.map(([, cls]) => cls), 'invalid']);
    expect([...classes].sort()).toEqual([...ADDRESS_CLASSES].sort());
    const forms = new Set(EMBEDDED.map(([, , form]) => form));
    expect(forms).toEqual(
      new Set(['ipv4_mapped', 'ipv4_translated', 'ipv4_compatible', 'nat64', 'nat64_local', '6to4', 'teredo']),
    );
    expect(rows.length + NOT_CANONICAL.length).toBeGreaterThanOrEqual(60);
  });

  it('names the deciding range, of the embedded address when there is one', () => {
    expect(classifyAddress('10.9.8.7').range).toBe('10.0.0.0/8');
    expect(classifyAddress('8.8.8.8').range).toBeUndefined();
    expect(explainClassification('::ffff:a9fe:a9fe', classifyAddress('::ffff:a9fe:a9fe'))).toBe(
      '::ffff:a9fe:a9fe embeds 169.254.169.254 (ipv4_mapped): link_local 169.254.0.0/16',
    );
    expect(explainClassification('4000::1', classifyAddress('4000::1'))).toBe('4000::1: reserved outside 2000::/3');
  });
});

describe('classifyAddress properties', () => {
  const ipv4 = fc.ipV4();

  it('never throws, whatever the string', () => {
    fc.assert(
      fc.property(fc.string(), (input) => {
        expect(ADDRESS_CLASSES).toContain(classifyAddress(input).class);
      }),
    );
  });

  it('classifies every IPv6 text form it is given', () => {
    fc.assert(
      fc.property(fc.ipV6(), (input) => {
        expect(classifyAddress(input).class).not.toBe('invalid');
      }),
    );
  });

  it('gives ::ffff:a.b.c.d, 64:ff9b::a.b.c.d and ::a.b.c.d the class of a.b.c.d', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const expected = classifyAddress(address).class;
        expect(classifyAddress(`::ffff:${address}`).class).toBe(expected);
        expect(classifyAddress(`64:ff9b::${address}`).class).toBe(expected);
        if (!address.startsWith('0.0.0.')) expect(classifyAddress(`::${address}`).class).toBe(expected);
      }),
    );
  });
});

describe('blockingClass', () => {
  it.each([
    // class, privateAllowed, blocked by
    ['public', false, null],
    ['public', true, null],
    ['private', false, 'private'],
    ['private', true, null],
    ['loopback', true, null],
    ['link_local', true, null],
    ['cgnat', true, null],
    ['unique_local', true, null],
    ['reserved', true, null],
    ['unspecified', true, 'unspecified'],
    ['multicast', true, 'multicast'],
    ['broadcast', true, 'broadcast'],
    ['invalid', true, 'invalid'],
  ] as const)('%s with allowPrivate=%s is blocked by %s', (cls, privateAllowed, blocker) => {
    expect(blockingClass(cls, privateAllowed)).toBe(blocker);
  });

  it('opens nothing in NEVER_DIALABLE, even for an allowPrivate host', () => {
    for (const cls of NEVER_DIALABLE) expect(blockingClass(cls, true)).toBe(cls);
  });

  it('blocks every class but public when the host is not in allowPrivate', () => {
    for (const cls of ADDRESS_CLASSES) expect(blockingClass(cls, false)).toBe(cls === 'public' ? null : cls);
  });
});
