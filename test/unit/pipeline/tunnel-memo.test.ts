/**
 * Requests inside one tunnel share what the tunnel fixes (tunnel-memo.ts): the Host header check, the
 * policy's rules for the tunnel's host, the destination, clean header lines, the last credential scan and
 * fingerprint. These specs hold the shortcuts to the general path's answers, request after request on one
 * tunnel, and hold every memo to the runtime it was made under: a reload (a new runtime) starts afresh.
 * The stages run through the real runner on a real runtime (buildRuntime, the real scanner), up to forward.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';
import type { Lookup, LookupAnswer } from '../../../src/destination/resolve.js';
import type { Identity, Refusal, RequestContext, TunnelInfo } from '../../../src/pipeline/context.js';
import { runPipeline } from '../../../src/pipeline/run.js';
import type { Runtime } from '../../../src/pipeline/runtime.js';
import { DNS_REUSE_NS } from '../../../src/pipeline/stages/destination.js';
import { identifyStage } from '../../../src/pipeline/stages/identify.js';
import { REQUEST_STAGES } from '../../../src/pipeline/stages/index.js';
import { parseHostHeader, targetStage } from '../../../src/pipeline/stages/target.js';
import { tunnelMemo } from '../../../src/pipeline/tunnel-memo.js';
import { buildRuntime } from '../../../src/runtime-builder.js';
import { createFingerprinter, createSecretFingerprinter } from '../../../src/tokens/fingerprint.js';
import { requestContext, START_NS } from '../../helpers/context-factory.js';
import { testScanner } from '../../helpers/proxy.js';

const AWS_KEY = 'AKIAZ7QX3MPL4RT2VW6Y';
const GITHUB_TOKEN = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
const KEY = randomBytes(32);

function config(readerPaths = '["/repos/**"]', resolveTo = '127.0.0.1:8443') {
  const yaml = `
mode: enforce
upstream:
  resolve:
    api.example.test:443: ${resolveTo}
  allowPrivate: [lan.example.test]
tools:
  reader:
    secretEnv: READER
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ${readerPaths}
      - host: dns.example.test
      - host: lan.example.test
  redactor:
    secretEnv: REDACTOR
    allow: [{ host: api.example.test }]
    scrub: { requests: redact, markers: plain }
`;
  return parseConfigText(yaml, { baseDir: '/tmp', env: { READER: 'reader-Secr3t-5a4b3c2d1e', REDACTOR: 'redactor-Secr3t-0f1e2d3c' }, source: null });
}

/** A lookup answering from a script, one entry per call (the last repeats); `calls` counts them. */
function scriptedLookup(script: readonly (readonly LookupAnswer[] | Error)[]): Lookup & { calls: number } {
  const lookup = Object.assign(
    async (): Promise<readonly LookupAnswer[]> => {
      const step = script[Math.min(lookup.calls, script.length - 1)]!;
      lookup.calls += 1;
      if (step instanceof Error) throw step;
      return step;
    },
    { calls: 0 },
  );
  return lookup;
}

const PUBLIC = [{ address: '93.184.216.34', family: 4 }] as const;

function runtimeWith(lookup: Lookup = scriptedLookup([PUBLIC]), readerPaths?: string, resolveTo?: string): Runtime {
  return buildRuntime(config(readerPaths, resolveTo), {
    fingerprint: createFingerprinter(KEY),
    scanner: testScanner(),
    secretFingerprint: createSecretFingerprinter(KEY),
    forwarder: { forward: () => Promise.resolve(null) },
    auditHealthy: () => true,
    lookup,
  });
}

function identity(tool: string): Identity {
  return { tool, actor: { principal: `${tool}@example.test`, type: 'automation', source: 'config' } };
}

function tunnel(host = 'api.example.test', port = 443, tool = 'reader', scheme: TunnelInfo['scheme'] = 'https'): TunnelInfo {
  return { id: 'tunnel-1', host, port, scheme, identity: identity(tool) };
}

const BASE_HEADERS: readonly (readonly [string, string])[] = [
  ['Host', 'api.example.test'],
  ['Authorization', `Bearer ${GITHUB_TOKEN}`],
  ['Accept', 'application/json'],
  ['User-Agent', 'spec/1.0'],
];

interface Shape {
  readonly url?: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly startNs?: bigint;
}

function inTunnel(on: TunnelInfo, shape: Shape = {}): RequestContext {
  const ctx = requestContext({ tunnel: on, url: shape.url ?? '/repos/acme/widgets', headers: shape.headers ?? BASE_HEADERS });
  // Node fills headersDistinct from its parser's count, which a hand-made IncomingMessage lacks.
  const distinct: Record<string, string[]> = {};
  for (let i = 0; i < ctx.req.rawHeaders.length; i += 2) (distinct[ctx.req.rawHeaders[i]!.toLowerCase()] ??= []).push(ctx.req.rawHeaders[i + 1]!);
  Object.defineProperty(ctx.req, 'headersDistinct', { value: distinct });
  return shape.startNs === undefined ? ctx : { ...ctx, timings: { ...ctx.timings, startNs: shape.startNs } };
}

const BEFORE_FORWARD = REQUEST_STAGES.filter((stage) => stage.name !== 'forward');

/** Runs every stage before forward; the refusal, or null when the request would be forwarded. */
async function judge(ctx: RequestContext, runtime: Runtime): Promise<Refusal | null> {
  let refused: Refusal | null = null;
  const options = { stages: BEFORE_FORWARD, runtime, writeRefusal: (_: RequestContext, r: Refusal) => void (refused = r), observe: () => undefined, now: () => START_NS };
  await runPipeline(ctx, options);
  return refused;
}

describe('the Host header inside a tunnel', () => {
  const cases = [
    { on: tunnel(), host: 'api.example.test', passes: true },
    { on: tunnel(), host: 'api.example.test:443', passes: true },
    { on: tunnel(), host: 'API.Example.Test', passes: true },
    { on: tunnel(), host: 'api.example.test.', passes: true },
    { on: tunnel(), host: ' api.example.test ', passes: true },
    { on: tunnel(), host: 'api.example.test:8443', passes: false },
    { on: tunnel(), host: 'other.example.test', passes: false },
    { on: tunnel(), host: 'api.example.test:443x', passes: false },
    { on: tunnel(), host: 'api.example.test@other.example.test', passes: false },
    { on: tunnel(), host: '', passes: false },
    { on: tunnel('api.example.test', 8443), host: 'api.example.test', passes: false },
    { on: tunnel('api.example.test', 8443), host: 'api.example.test:8443', passes: true },
    { on: tunnel('api.example.test', 80, 'reader', 'http'), host: 'api.example.test', passes: true },
    { on: tunnel('api.example.test', 80, 'reader', 'http'), host: 'api.example.test:443', passes: false },
    { on: tunnel('::1'), host: '[::1]', passes: true },
    { on: tunnel('::1'), host: '[::1]:443', passes: true },
    { on: tunnel('::1'), host: '[0:0::1]', passes: true },
    { on: tunnel('::1'), host: '::1', passes: false },
  ];

  it.each(cases)('$host on $on.scheme://$on.host:$on.port: passes $passes, first request or later', ({ on, host, passes }) => {
    const runtime = runtimeWith();
    const verdictOf = (ctx: RequestContext) => {
      identifyStage.run(ctx, runtime);
      return targetStage.run(ctx, runtime);
    };
    const expected = passes ? { next: true } : { refuse: { reason: 'host_mismatch', detail: 'Host header differs from the CONNECT authority' } };
    const named = parseHostHeader(host, on.scheme);
    expect(named !== null && named.host === on.host && named.port === on.port).toBe(passes);
    expect(verdictOf(inTunnel(on, { headers: [['Host', host]] }))).toEqual(expected);
    expect(verdictOf(inTunnel(on, { headers: [['Host', host]] }))).toEqual(expected);
  });
});

describe('the policy inside a tunnel', () => {
  it.each([
    { url: '/repos/acme/widgets', refusal: null },
    { url: '/orgs/acme', refusal: 'path_not_allowed' },
    { url: '/repos/a%2Fb', refusal: 'path_ambiguous' },
    { url: '/repos/%2e%2e/orgs', refusal: 'path_not_allowed' },
    { url: '/repos/./acme', refusal: null },
  ])('judges $url request after request as decide() does', async ({ url, refusal }) => {
    const runtime = runtimeWith();
    const on = tunnel();
    for (let i = 0; i < 3; i++) {
      const ctx = inTunnel(on, { url });
      expect((await judge(ctx, runtime))?.reason ?? null).toBe(refusal);
      expect(ctx.decision).toMatchObject({ action: refusal === null ? 'allow' : 'deny', reason: refusal ?? 'rule_matched', ruleId: 'reader#0' });
    }
  });

  it('follows a reload: the same tunnel is judged by the new runtime, then by the old one again', async () => {
    const before = runtimeWith();
    const after = runtimeWith(undefined, '["/orgs/**"]');
    const on = tunnel();
    expect(await judge(inTunnel(on), before)).toBeNull();
    expect(await judge(inTunnel(on), after)).toMatchObject({ reason: 'path_not_allowed' });
    expect(await judge(inTunnel(on, { url: '/orgs/acme' }), after)).toBeNull();
    expect(await judge(inTunnel(on), before)).toBeNull();
  });
});

describe('the destination inside a tunnel', () => {
  it('is resolved once per runtime and dialled the same for every request', async () => {
    const lookup = scriptedLookup([PUBLIC]);
    const runtime = runtimeWith(lookup);
    const on = tunnel('dns.example.test');
    for (let i = 0; i < 5; i++) {
      const ctx = inTunnel(on, { headers: [['Host', 'dns.example.test']] });
      expect(await judge(ctx, runtime)).toBeNull();
      expect(ctx.destination).toEqual({ address: '93.184.216.34', port: 443, via: 'dns' });
    }
    expect(lookup.calls).toBe(1);
    await judge(inTunnel(on, { headers: [['Host', 'dns.example.test']] }), runtimeWith(lookup));
    expect(lookup.calls).toBe(2);
  });

  it('asks DNS again once the answer is DNS_REUSE_NS old, and judges the new answer', async () => {
    const lookup = scriptedLookup([PUBLIC, [{ address: '127.0.0.1', family: 4 }]]);
    const runtime = runtimeWith(lookup);
    const on = tunnel('dns.example.test');
    const at = (startNs: bigint) => inTunnel(on, { headers: [['Host', 'dns.example.test']], startNs });
    expect(await judge(at(START_NS), runtime)).toBeNull();
    expect(await judge(at(START_NS + DNS_REUSE_NS - 1n), runtime)).toBeNull();
    expect(lookup.calls).toBe(1);
    expect(await judge(at(START_NS + DNS_REUSE_NS), runtime)).toMatchObject({ reason: 'ssrf_loopback' });
    expect(lookup.calls).toBe(2);
  });

  it('never keeps a refusal: the next request asks again', async () => {
    const failure = Object.assign(new Error('temporary'), { code: 'EAI_AGAIN' });
    const lookup = scriptedLookup([failure, PUBLIC]);
    const runtime = runtimeWith(lookup);
    const on = tunnel('dns.example.test');
    expect(await judge(inTunnel(on, { headers: [['Host', 'dns.example.test']] }), runtime)).toMatchObject({ reason: 'dns_failed' });
    expect(await judge(inTunnel(on, { headers: [['Host', 'dns.example.test']] }), runtime)).toBeNull();
    expect(lookup.calls).toBe(2);
  });

  it('keeps an upstream.resolve entry for the runtime, and takes the new one after a reload', async () => {
    const lookup = scriptedLookup([PUBLIC]);
    const runtime = runtimeWith(lookup);
    const on = tunnel();
    const late = inTunnel(on, { startNs: START_NS + 3n * DNS_REUSE_NS });
    expect(await judge(inTunnel(on), runtime)).toBeNull();
    expect(await judge(late, runtime)).toBeNull();
    expect(late.destination).toEqual({ address: '127.0.0.1', port: 8443, via: 'resolve_map' });
    const moved = inTunnel(on);
    expect(await judge(moved, runtimeWith(lookup, undefined, '127.0.0.2:9443'))).toBeNull();
    expect(moved.destination).toEqual({ address: '127.0.0.2', port: 9443, via: 'resolve_map' });
    expect(lookup.calls).toBe(0);
  });
});

describe('the exfiltration guard inside a tunnel', () => {
  const withNote = (note: string) => [...BASE_HEADERS, ['X-Note', note] as const];

  it('scans header lines again whenever they differ from the last clean ones', async () => {
    const runtime = runtimeWith();
    const on = tunnel();
    const steps = [
      { headers: BASE_HEADERS, url: '/repos/a', refusal: null, location: null },
      { headers: BASE_HEADERS, url: '/repos/b', refusal: null, location: null },
      { headers: withNote(AWS_KEY), url: '/repos/c', refusal: 'exfiltration', location: 'request.header.x-note' },
      { headers: BASE_HEADERS, url: '/repos/d', refusal: null, location: null },
      { headers: BASE_HEADERS, url: `/repos/e?note=${AWS_KEY}`, refusal: 'exfiltration', location: 'request.query.note' },
      { headers: [...BASE_HEADERS, [AWS_KEY, '1'] as const], url: '/repos/f', refusal: 'exfiltration', location: 'request.header-name' },
      { headers: BASE_HEADERS, url: '/repos/g', refusal: null, location: null },
    ];
    for (const step of steps) {
      const ctx = inTunnel(on, step);
      expect((await judge(ctx, runtime))?.reason ?? null).toBe(step.refusal);
      expect(ctx.scrub?.findings.map((finding) => finding.location) ?? []).toEqual(step.location === null ? [] : [step.location]);
    }
  });

  it('redacts with the client header lines intact when the headers were known clean', async () => {
    const runtime = runtimeWith();
    const on = tunnel('api.example.test', 443, 'redactor');
    expect(await judge(inTunnel(on), runtime)).toBeNull();
    const ctx = inTunnel(on, { url: `/repos/x?note=${AWS_KEY}` });
    expect(await judge(ctx, runtime)).toBeNull();
    expect(ctx.rewrite?.rawHeaders).toEqual(ctx.req.rawHeaders);
    expect(ctx.rewrite?.requestTarget).toBe('/repos/x?note=[REDACTED:aws_access_key_id]');
  });
});

describe('token intelligence inside a tunnel', () => {
  it('describes the credentials of a repeated request exactly as a fresh runtime does', async () => {
    const runtime = runtimeWith();
    const on = tunnel();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const ctx = inTunnel(on, { headers: withToken(GITHUB_TOKEN) });
      await judge(ctx, runtime);
      seen.push(ctx.credentials);
    }
    const fresh = inTunnel(tunnel(), { headers: withToken(GITHUB_TOKEN) });
    await judge(fresh, runtimeWith());
    expect(seen).toEqual([fresh.credentials, fresh.credentials, fresh.credentials]);
    expect(fresh.credentials).toHaveLength(2);
    const other = inTunnel(on, { headers: withToken('ghp_0000000000000000000000000000000000aA') });
    await judge(other, runtime);
    expect(other.credentials[0]?.fingerprint).not.toBe(fresh.credentials[0]?.fingerprint);
  });

  function withToken(token: string) {
    return [['Host', 'api.example.test'], ['Authorization', `Bearer ${token}`], ['X-Trace', `trace ${GITHUB_TOKEN}`]] as const;
  }
});

describe('tunnelMemo', () => {
  it('is one memo per tunnel and runtime, and none for a request not bound to the tunnel', () => {
    const runtime = runtimeWith();
    const on = tunnel();
    const bound = (ctx: RequestContext) => {
      ctx.identity = on.identity;
      return ctx;
    };
    const memo = tunnelMemo(bound(inTunnel(on)), runtime);
    expect(memo).not.toBeNull();
    expect(tunnelMemo(bound(inTunnel(on)), runtime)).toBe(memo);
    expect(tunnelMemo(bound(inTunnel(on)), runtimeWith())).not.toBe(memo);
    expect(tunnelMemo(inTunnel(on), runtime)).toBeNull(); // no identity yet
    const elsewhere = bound(inTunnel(on));
    elsewhere.target = { scheme: 'https', host: 'other.example.test', port: 443, path: '/', pathAmbiguous: false, query: '', requestTarget: '/' };
    expect(tunnelMemo(elsewhere, runtime)).toBeNull();
    expect(tunnelMemo(requestContext(), runtime)).toBeNull(); // no tunnel
  });

  it('never shows in a serialized tunnel record: it holds header lines, a credential and the runtime', async () => {
    const on = tunnel();
    await judge(inTunnel(on), runtimeWith());
    expect(on.memo).toBeDefined();
    expect(Object.keys(on)).not.toContain('memo');
    expect(JSON.stringify(on)).not.toContain(GITHUB_TOKEN);
  });
});
