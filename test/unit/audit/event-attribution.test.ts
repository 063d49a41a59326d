/**
 * The actor's attribution is remembered per combination of inputs (configured type, launch context,
 * every evidence entry in order): every event carries what attribute() itself says, on the first and on
 * every later request, and combinations that only a careless key would confuse stay apart.
 */
import { describe, expect, it } from 'vitest';
import { buildAuditEvent } from '../../../src/audit/event.js';
import type { Identity } from '../../../src/pipeline/context.js';
import { buildOutcome } from '../../../src/pipeline/run.js';
import { attribute, type Evidence } from '../../../src/tokens/attribution.js';
import type { CredentialSeen } from '../../../src/tokens/credential-detect.js';
import { requestContext } from '../../helpers/context-factory.js';

type ActorType = 'human' | 'automation' | 'unknown';

const credential = (evidence: readonly Evidence[]): CredentialSeen => ({
  source: 'authorization', scheme: 'bearer', kind: 'generic_bearer', fingerprint: 'hmac-sha256:00', hint: null, evidence,
});

function actorOf(type: ActorType, launch: 'interactive' | 'ci' | null, evidence: readonly (readonly Evidence[])[]) {
  const ctx = requestContext();
  const identity: Identity = { tool: 'reader', actor: { principal: 'p', type, source: 'config' } };
  ctx.identity = launch === null ? identity : { ...identity, launch: { context: launch, user: 'u', ci: null } };
  ctx.credentials = evidence.map(credential);
  return buildAuditEvent(buildOutcome(ctx)).actor;
}

/** What attribute() says, copied the way the event copies evidence. */
function expected(type: ActorType, launch: 'interactive' | 'ci' | null, evidence: readonly (readonly Evidence[])[]) {
  const result = attribute({ configured: type, launchContext: launch, credentialEvidence: evidence });
  return { type: result.type, conflict: result.conflict, evidence: JSON.parse(JSON.stringify(result.evidence)) as unknown };
}

const GITHUB: Evidence = { source: 'token_kind', type: 'human', kind: 'github_pat' };
const SERVICE: Evidence = { source: 'jwt', type: 'automation' };

describe('actor attribution, remembered', () => {
  it.each([
    ['configured only', 'automation', null, [[]]],
    ['nothing known', 'unknown', null, []],
    ['a launch attestation', 'human', 'ci', [[]]],
    ['token kind evidence that conflicts', 'automation', null, [[GITHUB]]],
    ['several credentials, repeated evidence', 'unknown', 'interactive', [[GITHUB, SERVICE], [], [GITHUB]]],
    ['evidence in the other order', 'unknown', 'interactive', [[SERVICE], [GITHUB]]],
  ] as const)('%s: what attribute() says, first and again', (_name, type, launch, evidence) => {
    const want = expected(type, launch, evidence);
    for (let round = 0; round < 3; round++) expect(actorOf(type, launch, evidence)).toMatchObject(want);
  });

  it('kinds that would run together in a naive key stay apart', () => {
    const a: Evidence[] = [{ source: 'token_kind', type: 'human', kind: 'x\u0000token_kind\u0000human\u00001:y' }];
    const b: Evidence[] = [{ source: 'token_kind', type: 'human', kind: 'x' }, { source: 'token_kind', type: 'human', kind: 'y' }];
    for (const evidence of [a, b, a, b]) expect(actorOf('unknown', null, [evidence])).toMatchObject(expected('unknown', null, [evidence]));
  });

  it('a kind present but not text is still attributed (just not remembered)', () => {
    const odd = [{ source: 'token_kind', type: 'human', kind: 7 } as unknown as Evidence];
    expect(actorOf('automation', null, [odd])).toMatchObject(expected('automation', null, [odd]));
  });

  it('events share the remembered evidence read-only', () => {
    const evidence = actorOf('automation', null, [[GITHUB]]).evidence;
    expect(Object.isFrozen(evidence)).toBe(true);
    expect(actorOf('automation', null, [[GITHUB]]).evidence).toBe(evidence);
  });
});
