/**
 * The launch attestation header: strictly parsed (known keys, printable ASCII, short, no control or
 * format characters once decoded), formatted so that what wrap sends parses back, carried by the
 * identify stage into the identity, and written to the audit event as `actor.launch`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../../src/audit/event.js';
import { createCredentialVerifier } from '../../../src/identity/proxy-credentials.js';
import { formatLaunchAttestation, LAUNCH_HEADER, parseLaunchAttestation, type LaunchAttestation } from '../../../src/identity/launch-attestation.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import type { Runtime } from '../../../src/pipeline/runtime.js';
import { identifyStage } from '../../../src/pipeline/stages/identify.js';
import { requestContext, toolIdentity } from '../../helpers/context-factory.js';

describe('parseLaunchAttestation: accepted', () => {
  it.each([
    { value: 'context=interactive', expected: { context: 'interactive', user: null, ci: null } },
    { value: 'context=interactive;user=alice', expected: { context: 'interactive', user: 'alice', ci: null } },
    { value: 'user=alice;context=interactive', expected: { context: 'interactive', user: 'alice', ci: null } },
    { value: 'context=ci;ci=github_actions;user=runner', expected: { context: 'ci', user: 'runner', ci: 'github_actions' } },
    { value: 'context=interactive;user=DOMAIN%5Cj%C3%BCrgen%20m', expected: { context: 'interactive', user: 'DOMAIN\\jürgen m', ci: null } },
  ])('$value', ({ value, expected }) => {
    expect(parseLaunchAttestation(value)).toEqual(expected);
  });
});

describe('parseLaunchAttestation: rejected as a whole', () => {
  it.each([
    { name: 'absent', value: undefined },
    { name: 'empty', value: '' },
    { name: 'repeated header (Node joins with ", ")', value: 'context=ci;ci=jenkins, context=interactive' },
    { name: 'an array', value: ['context=interactive'] },
    { name: 'unknown context', value: 'context=human' },
    { name: 'no context', value: 'user=alice' },
    { name: 'unknown key', value: 'context=interactive;role=admin' },
    { name: 'duplicate key', value: 'context=interactive;user=a;user=b' },
    { name: 'empty key', value: 'context=interactive;=x' },
    { name: 'no equals sign', value: 'context=interactive;user' },
    { name: 'ci context without the CI name', value: 'context=ci' },
    { name: 'CI name on an interactive launch', value: 'context=interactive;ci=jenkins' },
    { name: 'CI name with upper case', value: 'context=ci;ci=GitHub' },
    { name: 'CI name too long', value: `context=ci;ci=${'a'.repeat(33)}` },
    { name: 'raw space', value: 'context=interactive;user=a b' },
    { name: 'raw non-ASCII', value: 'context=interactive;user=jürgen' },
    { name: 'raw CR LF', value: 'context=interactive;user=a\r\nX-Evil: 1' },
    { name: 'encoded newline', value: 'context=interactive;user=a%0Ab' },
    { name: 'encoded DEL', value: 'context=interactive;user=a%7Fb' },
    { name: 'encoded C1 control', value: 'context=interactive;user=a%C2%85b' },
    { name: 'encoded bidi override', value: 'context=interactive;user=a%E2%80%AEb' },
    { name: 'encoded zero-width space', value: 'context=interactive;user=a%E2%80%8Bb' },
    { name: 'encoded line separator', value: 'context=interactive;user=a%E2%80%A8b' },
    { name: 'outer spaces', value: 'context=interactive;user=%20alice' },
    { name: 'empty user', value: 'context=interactive;user=' },
    { name: 'user longer than 64', value: `context=interactive;user=${'u'.repeat(65)}` },
    { name: 'bad percent-encoding', value: 'context=interactive;user=%E0%A4%A' },
    { name: 'longer than 256', value: `context=interactive;user=${'%41'.repeat(80)}` },
  ])('$name', ({ value }) => {
    expect(parseLaunchAttestation(value)).toBeNull();
  });
});

describe('formatLaunchAttestation', () => {
  it('what wrap sends parses back to the same attestation (any user name that is valid)', () => {
    const user = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((u) => parseLaunchAttestation(`context=interactive;user=${encodeURIComponent(u)}`) !== null);
    const launch = fc.oneof(
      fc.record({ context: fc.constant('interactive' as const), user: fc.option(user, { nil: null }), ci: fc.constant(null) }),
      fc.record({ context: fc.constant('ci' as const), user: fc.option(user, { nil: null }), ci: fc.constantFrom('github_actions', 'gitlab_ci', 'ci') }),
    );
    fc.assert(fc.property(launch, (value: LaunchAttestation) => {
      expect(parseLaunchAttestation(formatLaunchAttestation(value))).toEqual(value);
    }), { numRuns: 300 });
  });

  it.each([
    { name: 'a control character', user: 'a\nb' },
    { name: 'too long', user: 'x'.repeat(65) },
    { name: 'empty', user: '' },
  ])('leaves out a user name that would not parse: $name', ({ user }) => {
    const value = formatLaunchAttestation({ context: 'interactive', user, ci: null });
    expect(value).toBe('context=interactive');
    expect(parseLaunchAttestation(value)).toEqual({ context: 'interactive', user: null, ci: null });
  });
});

describe('identify stage and audit event', () => {
  const SECRET = 'launch-test-Secret-0123456789';
  const runtime = {
    config: { tools: new Map([['reader', { name: 'reader', secret: SECRET, actor: { principal: 'alice@example.com', type: 'human' } }]]) },
    verifier: createCredentialVerifier(new Map([['reader', SECRET]])),
  } as unknown as Runtime;
  const auth = `Basic ${Buffer.from(`reader:${SECRET}`).toString('base64')}`;

  it.each([
    { kind: 'connect' as const, header: 'context=ci;ci=gitlab_ci;user=runner', launch: { context: 'ci', user: 'runner', ci: 'gitlab_ci' } },
    { kind: 'request' as const, header: 'context=interactive;user=alice', launch: { context: 'interactive', user: 'alice', ci: null } },
    { kind: 'request' as const, header: 'context=root', launch: undefined },
    { kind: 'request' as const, header: undefined, launch: undefined },
  ])('$kind with $header: actor.launch $launch', ({ kind, header, launch }) => {
    const headers: [string, string][] = [['Proxy-Authorization', auth]];
    if (header !== undefined) headers.push(['Proxy-Mcp-Egress-Launch', header]);
    const ctx = requestContext({ kind, headers });
    expect(identifyStage.run(ctx, runtime)).toEqual({ next: true });
    expect(ctx.identity?.launch).toEqual(launch);
    const event = buildAuditEvent(buildOutcome(ctx));
    expect(event.actor).toMatchObject({ principal: 'alice@example.com', type: 'human', source: 'config', ...(launch ? { launch } : {}) });
    // The launch is also a piece of attribution evidence (ci: automation, interactive: human).
    const launchEvidence = event.actor.evidence.filter((piece) => piece.source === 'launch').map((piece) => piece.type);
    expect(launchEvidence).toEqual(launch ? [launch.context === 'ci' ? 'automation' : 'human'] : []);
    if (!launch) expect(event.actor).not.toHaveProperty('launch');
  });

  it('inside a tunnel the launch comes from the CONNECT, not from the inner request', () => {
    const tunnelIdentity = { ...toolIdentity(), launch: { context: 'ci' as const, user: null, ci: 'jenkins' } };
    const tunnel = { id: 't-1', host: 'api.example.test', port: 443, scheme: 'https' as const, identity: tunnelIdentity };
    const ctx = requestContext({ tunnel, headers: [[LAUNCH_HEADER, 'context=interactive;user=mallory']] });
    identifyStage.run(ctx, runtime);
    expect(ctx.identity?.launch).toEqual({ context: 'ci', user: null, ci: 'jenkins' });
  });

  it('a refused credential records no identity, whatever the launch header says', () => {
    const ctx = requestContext({ headers: [['Proxy-Authorization', 'Basic cmVhZGVyOndyb25n'], [LAUNCH_HEADER, 'context=interactive;user=alice']] });
    expect(identifyStage.run(ctx, runtime)).toEqual({ refuse: { reason: 'proxy_auth_invalid' } });
    expect(ctx.identity).toBeUndefined();
  });
});
