/**
 * Token intelligence through the proxy, with curl: the audit event names each credential a tool sent by
 * kind, fingerprint and hint (a JWT with its claims), and the actor's type comes with its evidence and a
 * conflict flag — and no token value, JWT segment or signature appears anywhere in the audit file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/event.js';
import { startBackend } from '../helpers/backend.js';
import { curl } from '../helpers/clients.js';
import { EXAMPLE_ENV, exampleConfig, READER_SECRET } from '../helpers/configs.js';
import { makeBackendPki } from '../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../helpers/proxy.js';

const PROBE_SECRET = 'probe-Secr3t-1a2b3c4d5e6f';
// A third tool whose actor type is not configured: its type can only come from the evidence.
const PROBE_TOOL = `  probe:
    secretEnv: PROBE_PROXY_SECRET
    actor: { principal: probe, type: unknown }
    allow:
      - host: api.example.test
        methods: [GET]
        paths: ["/repos/**"]
`;

const GHS = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';
const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const JWT_SIGNATURE = 'SmwtU2lnbmF0dXJlLU5ldmVyLUtlcHQtMDEyMzQ1Njc4OQ';
const EXP = Math.floor(Date.now() / 1000) + 3600;
const JWT_PAYLOAD = b64url({ iss: 'https://idp.example', sub: 'svc-client', azp: 'svc-client', aud: 'api', exp: EXP, iat: EXP - 7200, scope: 'repo:read' });
const JWT = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${JWT_PAYLOAD}.${JWT_SIGNATURE}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(): Promise<TestProxy> {
  const pki = makeBackendPki();
  const backend = await startBackend({ pki });
  cleanups.push(() => backend.close());
  const proxy = await startTestProxy(exampleConfig(backend.port, pki.caCert, PROBE_TOOL), { env: { ...EXAMPLE_ENV, PROBE_PROXY_SECRET: PROBE_SECRET } });
  cleanups.push(() => proxy.stop());
  return proxy;
}

/** Audit events of requests only (the log may hold other lines, such as integrity-chain records). */
const requestEvents = (proxy: TestProxy): AuditEvent[] =>
  proxy.auditEvents().filter((event) => (event as Partial<AuditEvent>).kind === 'request');

describe('token intelligence in the audit event', () => {
  it('names each credential by kind, reads JWT claims, and attributes the actor with evidence', async () => {
    const proxy = await setup();
    const reader = { proxy: proxy.url('reader', READER_SECRET), cacert: proxy.caCert };
    const probe = { proxy: proxy.url('probe', PROBE_SECRET), cacert: proxy.caCert };
    const replies = [
      // Configured human, sending an installation token (an app's): the config decides, the conflict shows.
      await curl('https://api.example.test/repos/a/b', { ...reader, args: ['-H', `Authorization: Bearer ${GHS}`] }),
      // Unknown configuration: the token kind and the client-credentials JWT both say automation.
      await curl('https://api.example.test/repos/a/b', { ...probe, args: ['-H', `Authorization: Bearer ${GHS}`, '-H', `X-Auth-Token: ${JWT}`] }),
      // Unknown configuration, launched interactively: the launch outranks the token kind.
      await curl('https://api.example.test/repos/a/b', { ...probe, args: ['--proxy-header', 'Proxy-Mcp-Egress-Launch: context=interactive;user=alice', '-H', `Authorization: Bearer ${GHS}`] }),
    ];
    expect(replies.map((reply) => reply.status)).toEqual([200, 200, 200]);

    const [asReader, asProbe, launched] = requestEvents(proxy);
    const ghsEntry = { source: 'authorization', scheme: 'bearer', kind: 'github_installation_token', hint: `ghs_…${GHS.slice(-4)}`, fingerprint: expect.stringMatching(/^hmac-sha256:[0-9a-f]{64}$/) };
    const ghsEvidence = { source: 'token_kind', type: 'automation', kind: 'github_installation_token' };

    expect(asReader!.credentials).toEqual([ghsEntry]);
    expect(asReader!.actor).toEqual({
      principal: 'alice@example.com', type: 'human', source: 'config',
      evidence: [{ source: 'config', type: 'human' }, ghsEvidence], conflict: true,
    });

    expect(asProbe!.credentials).toEqual([
      ghsEntry,
      {
        source: 'x-auth-token', scheme: null, kind: 'jwt', hint: `eyJ…${JWT.slice(-4)}`, fingerprint: expect.stringMatching(/^hmac-sha256:/),
        jwt: { iss: 'https://idp.example', sub: 'svc-client', aud: 'api', exp: EXP, iat: EXP - 7200, azp: 'svc-client', scope: 'repo:read', expired: false },
      },
    ]);
    expect(asProbe!.actor).toEqual({ principal: 'probe', type: 'automation', source: 'config', evidence: [ghsEvidence, { source: 'jwt', type: 'automation' }], conflict: false });

    expect(launched!.actor).toMatchObject({ type: 'human', evidence: [{ source: 'launch', type: 'human' }, ghsEvidence], conflict: true });
    expect(launched!.actor.launch).toEqual({ context: 'interactive', user: 'alice', ci: null });

    // The same token has the same keyed fingerprint in every event: searchable without being stored.
    expect(new Set([asReader, asProbe, launched].map((event) => event!.credentials[0]!.fingerprint)).size).toBe(1);
    const text = proxy.auditText() + proxy.logs.join('');
    for (const secret of [GHS, GHS.slice(4, -4), JWT, JWT_PAYLOAD, JWT_SIGNATURE, READER_SECRET, PROBE_SECRET]) expect(text).not.toContain(secret);
  });
});
