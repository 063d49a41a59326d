/**
 * resolveDestination specification. DNS is a fake injected lookup; nothing is dialled.
 */
import { describe, expect, it } from 'vitest';
import type { HostPort } from '../../../src/config/types.js';
import {
  DESTINATION_REASONS,
  resolveDestination,
  type Lookup,
  type LookupAnswer,
  type ResolveOptions,
} from '../../../src/destination/resolve.js';
import { ADDRESS_CLASSES } from '../../../src/destination/classify.js';

/** A zone file for the fake resolver: host -> answers in order, or the error the resolver raises. */
type Zone = Readonly<Record<string, readonly string[] | Error>>;

const ZONE: Zone = {
  'api.example.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'v6only.example.test': ['2606:4700:4700::1111'],
  'loopback.example.test': ['127.0.0.1'],
  'metadata.example.test': ['169.254.169.254'],
  'mapped-metadata.example.test': ['::ffff:169.254.169.254'],
  'nat64-metadata.example.test': ['64:ff9b::a9fe:a9fe'],
  'cgnat.example.test': ['100.64.1.1'],
  'ula.example.test': ['fd12:3456::1'],
  'zero.example.test': ['0.0.0.0'],
  'multicast.example.test': ['239.1.2.3'],
  'broadcast.example.test': ['255.255.255.255'],
  'docs.example.test': ['192.0.2.10'],
  'rebind.example.test': ['93.184.215.14', '10.0.0.7', '127.0.0.1'],
  'rebind-first.example.test': ['192.168.0.9', '93.184.215.14'],
  'garbage.example.test': ['not-an-address'],
  'empty.example.test': [],
  'db.internal.test': ['10.0.0.5'],
  'svc.corp.test': ['10.1.2.3', '10.1.2.4'],
  'corp.test': ['10.1.0.1'],
  'evilcorp.test': ['10.6.6.6'],
  'split.corp.test': ['93.184.215.14', '10.1.2.3'],
  'sinkholed.corp.test': ['10.1.2.3', '0.0.0.0'],
  'gone.example.test': Object.assign(new Error('getaddrinfo ENOTFOUND gone.example.test'), { code: 'ENOTFOUND' }),
};

function fakeLookup(zone: Zone): Lookup & { readonly calls: string[] } {
  const calls: string[] = [];
  const lookup = async (host: string): Promise<readonly LookupAnswer[]> => {
    calls.push(host);
    const entry = zone[host] ?? Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    if (entry instanceof Error) throw entry;
    return entry.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

function options(overrides: Partial<ResolveOptions> = {}): ResolveOptions & { lookup: ReturnType<typeof fakeLookup> } {
  return {
    resolveMap: new Map<string, HostPort>(),
    allowPrivate: [],
    ...overrides,
    lookup: fakeLookup(ZONE),
  };
}

describe('resolveDestination: DNS answers', () => {
  it('dials the first address of an all-public answer, resolving once', async () => {
    const opts = options();
    const result = await resolveDestination({ host: 'API.Example.test.', port: 443 }, opts);
    expect(result).toEqual({ ok: true, address: '93.184.215.14', family: 4, port: 443, via: 'dns', class: 'public' });
    expect(opts.lookup.calls).toEqual(['api.example.test']);
  });

  it('reports family 6 for an IPv6 answer', async () => {
    const result = await resolveDestination({ host: 'v6only.example.test', port: 443 }, options());
    expect(result).toMatchObject({ ok: true, address: '2606:4700:4700::1111', family: 6 });
  });

  it.each([
    ['loopback.example.test', 'ssrf_loopback'],
    ['metadata.example.test', 'ssrf_link_local'],
    ['mapped-metadata.example.test', 'ssrf_link_local'],
    ['nat64-metadata.example.test', 'ssrf_link_local'],
    ['cgnat.example.test', 'ssrf_cgnat'],
    ['ula.example.test', 'ssrf_unique_local'],
    ['zero.example.test', 'ssrf_unspecified'],
    ['multicast.example.test', 'ssrf_multicast'],
    ['broadcast.example.test', 'ssrf_broadcast'],
    ['docs.example.test', 'ssrf_reserved'],
    ['garbage.example.test', 'ssrf_invalid'],
    ['db.internal.test', 'ssrf_private'],
  ])('refuses %s with %s', async (host, reason) => {
    const result = await resolveDestination({ host, port: 443 }, options());
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('refuses a mixed public/private answer, naming the first non-public address', async () => {
    const result = await resolveDestination({ host: 'rebind.example.test', port: 443 }, options());
    expect(result).toEqual({
      ok: false,
      reason: 'ssrf_private',
      detail: 'rebind.example.test resolved to 10.0.0.7: private 10.0.0.0/8 (one of 3 answers)',
    });
  });

  it('refuses a mixed answer whose private address comes first', async () => {
    const result = await resolveDestination({ host: 'rebind-first.example.test', port: 443 }, options());
    expect(result).toMatchObject({ ok: false, reason: 'ssrf_private' });
  });

  it('explains an embedded address in the refusal detail', async () => {
    const result = await resolveDestination({ host: 'mapped-metadata.example.test', port: 80 }, options());
    expect(result).toMatchObject({
      detail: 'mapped-metadata.example.test resolved to ::ffff:169.254.169.254 embeds 169.254.169.254 (ipv4_mapped): link_local 169.254.0.0/16',
    });
  });

  it('refuses with dns_failed and the resolver code when the lookup fails', async () => {
    const result = await resolveDestination({ host: 'gone.example.test', port: 443 }, options());
    expect(result).toEqual({ ok: false, reason: 'dns_failed', detail: 'gone.example.test: ENOTFOUND' });
  });

  it.each([
    ['an Error without a code', new Error('resolver exploded'), 'a.test: resolver exploded'],
    ['something that is not an Error', 'boom', 'a.test: lookup failed'],
  ])('refuses with dns_failed when the lookup rejects with %s', async (_what, rejection, detail) => {
    const lookup: Lookup = () => Promise.reject(rejection as Error);
    const result = await resolveDestination({ host: 'a.test', port: 1 }, { resolveMap: new Map(), allowPrivate: [], lookup });
    expect(result).toEqual({ ok: false, reason: 'dns_failed', detail });
  });

  it('refuses with dns_no_address when the resolver answers with nothing', async () => {
    const result = await resolveDestination({ host: 'empty.example.test', port: 443 }, options());
    expect(result).toMatchObject({ ok: false, reason: 'dns_no_address' });
  });
});

describe('resolveDestination: IP literals', () => {
  it.each([
    ['8.8.8.8', '8.8.8.8', 4],
    ['[2606:4700:4700::1111]', '2606:4700:4700::1111', 6],
    ['[2606:4700:4700:0:0:0:0:1111]', '2606:4700:4700::1111', 6],
    ['2606:4700:4700::1111', '2606:4700:4700::1111', 6],
  ] as const)('dials public literal %s as %s without DNS', async (host, address, family) => {
    const opts = options();
    const result = await resolveDestination({ host, port: 8443 }, opts);
    expect(result).toEqual({ ok: true, address, family, port: 8443, via: 'literal', class: 'public' });
    expect(opts.lookup.calls).toEqual([]);
  });

  it.each([
    ['127.0.0.1', 'ssrf_loopback'],
    ['[::1]', 'ssrf_loopback'],
    ['[0:0:0:0:0:0:0:1]', 'ssrf_loopback'],
    ['169.254.169.254', 'ssrf_link_local'],
    ['[::ffff:169.254.169.254]', 'ssrf_link_local'],
    ['[64:ff9b::a9fe:a9fe]', 'ssrf_link_local'],
    ['[2002:a9fe:a9fe::1]', 'ssrf_link_local'],
    ['[fe80::1]', 'ssrf_link_local'],
    ['0.0.0.0', 'ssrf_unspecified'],
    ['[::]', 'ssrf_unspecified'],
    ['10.0.0.1', 'ssrf_private'],
  ])('refuses literal %s with %s without DNS', async (host, reason) => {
    const opts = options();
    expect(await resolveDestination({ host, port: 443 }, opts)).toMatchObject({ ok: false, reason });
    expect(opts.lookup.calls).toEqual([]);
  });
});

describe('resolveDestination: upstream.allowPrivate', () => {
  const allowPrivate = ['db.internal.test', '*.corp.test', '10.9.9.9', '::1'];

  it.each([
    ['db.internal.test', '10.0.0.5', 'private', 'dns'],
    ['svc.corp.test', '10.1.2.3', 'private', 'dns'],
    ['split.corp.test', '93.184.215.14', 'public', 'dns'], // mixed answers are fine once private is allowed
    ['10.9.9.9', '10.9.9.9', 'private', 'literal'],
    ['[::1]', '::1', 'loopback', 'literal'],
  ])('lets %s dial %s (%s)', async (host, address, cls, via) => {
    const result = await resolveDestination({ host, port: 5432 }, options({ allowPrivate }));
    expect(result).toMatchObject({ ok: true, address, class: cls, via, port: 5432 });
  });

  it.each([
    ['corp.test', 'ssrf_private'], // *.corp.test covers subdomains only
    ['evilcorp.test', 'ssrf_private'], // a suffix match must end at a label boundary
    ['10.9.9.10', 'ssrf_private'],
    ['sinkholed.corp.test', 'ssrf_unspecified'], // never dialable, and it spoils the whole answer
  ])('still refuses %s with %s', async (host, reason) => {
    const result = await resolveDestination({ host, port: 5432 }, options({ allowPrivate }));
    expect(result).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['0.0.0.0', 'ssrf_unspecified'],
    ['224.0.0.1', 'ssrf_multicast'],
    ['255.255.255.255', 'ssrf_broadcast'],
  ])('never opens %s, even when listed', async (host, reason) => {
    const result = await resolveDestination({ host, port: 80 }, options({ allowPrivate: [host] }));
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('does not let a wildcard match an IP literal', async () => {
    const result = await resolveDestination({ host: '10.0.0.1', port: 80 }, options({ allowPrivate: ['*.0.0.1'] }));
    expect(result).toMatchObject({ ok: false, reason: 'ssrf_private' });
  });
});

describe('resolveDestination: upstream.resolve', () => {
  const resolveMap = new Map<string, HostPort>([
    ['api.example.test:443', { host: '127.0.0.1', port: 8443 }],
    ['[2001:db8::1]:443', { host: '::1', port: 9443 }],
    ['v6.example.test:443', { host: '[0:0::1]', port: 9444 }],
    ['named.example.test:443', { host: 'backend.example.test', port: 443 }],
    ['badport.example.test:443', { host: '127.0.0.1', port: 0 }],
  ]);

  it('dials the mapped address and port with no DNS and no refusal by class', async () => {
    const opts = options({ resolveMap });
    const result = await resolveDestination({ host: 'API.example.test.', port: 443 }, opts);
    expect(result).toEqual({ ok: true, address: '127.0.0.1', family: 4, port: 8443, via: 'resolve_map', class: 'loopback' });
    expect(opts.lookup.calls).toEqual([]);
  });

  it('matches on host and port: another port of the same host goes through DNS and the guard', async () => {
    const opts = options({ resolveMap });
    const result = await resolveDestination({ host: 'api.example.test', port: 8080 }, opts);
    expect(result).toMatchObject({ ok: true, via: 'dns', address: '93.184.215.14', port: 8080 });
    expect(opts.lookup.calls).toEqual(['api.example.test']);
  });

  it('keys IPv6 literals in brackets, whatever form the target used', async () => {
    const result = await resolveDestination({ host: '[2001:0db8:0:0::1]', port: 443 }, options({ resolveMap }));
    expect(result).toEqual({ ok: true, address: '::1', family: 6, port: 9443, via: 'resolve_map', class: 'loopback' });
  });

  it('normalizes a bracketed mapped address', async () => {
    const result = await resolveDestination({ host: 'v6.example.test', port: 443 }, options({ resolveMap }));
    expect(result).toMatchObject({ ok: true, address: '::1', family: 6, port: 9444 });
  });

  it.each([['named.example.test'], ['badport.example.test']])(
    'refuses %s whose mapped target is not an address and port, without DNS',
    async (host) => {
      const opts = options({ resolveMap });
      expect(await resolveDestination({ host, port: 443 }, opts)).toMatchObject({ ok: false, reason: 'invalid_target' });
      expect(opts.lookup.calls).toEqual([]);
    },
  );
});

describe('resolveDestination: malformed targets', () => {
  it.each([
    ['bad host!', 443],
    ['', 443],
    ['2130706433', 443], // a decimal IPv4 in disguise
    ['example.test', 0],
    ['example.test', 65_536],
    ['example.test', 44.3],
    ['example.test', Number.NaN],
  ])('refuses host %j port %s as invalid_target without DNS', async (host, port) => {
    const opts = options();
    expect(await resolveDestination({ host, port }, opts)).toMatchObject({ ok: false, reason: 'invalid_target' });
    expect(opts.lookup.calls).toEqual([]);
  });
});

describe('DESTINATION_REASONS', () => {
  it('has one ssrf_ reason per refusable class, and no duplicates', () => {
    const ssrf = ADDRESS_CLASSES.filter((cls) => cls !== 'public').map((cls) => `ssrf_${cls}`);
    expect(DESTINATION_REASONS.filter((reason) => reason.startsWith('ssrf_'))).toEqual(ssrf);
    expect(new Set(DESTINATION_REASONS).size).toBe(DESTINATION_REASONS.length);
  });
});
