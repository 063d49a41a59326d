/**
 * Who is behind a request, human or automation, from every piece of evidence at hand, strongest first:
 * the tool's configured actor type, the launch attestation from `mcp-egress wrap`, the kind of each
 * credential sent (whose holder the patterns catalogue records), and a JWT's subject. The type is the
 * strongest evidence's; disagreement is never resolved silently but flagged as `conflict`.
 */
import type { Holder } from '../scanning/catalogue-schema.js';
import type { JwtFacts } from './jwt-claims.js';

export type ActorKind = 'human' | 'automation';

export type Evidence =
  | { readonly source: 'config'; readonly type: ActorKind }
  | { readonly source: 'launch'; readonly type: ActorKind }
  | { readonly source: 'token_kind'; readonly type: ActorKind; readonly kind: string }
  | { readonly source: 'jwt'; readonly type: ActorKind };

export interface Attribution {
  readonly type: ActorKind | 'unknown';
  readonly evidence: readonly Evidence[];
  readonly conflict: boolean;
}

export interface AttributionInput {
  readonly configured: ActorKind | 'unknown';
  readonly launchContext: 'interactive' | 'ci' | null;
  /** Per credential, in the order sent: its token_kind and jwt evidence (credentialEvidence). */
  readonly credentialEvidence: readonly (readonly Evidence[])[];
}

const STRENGTH: Readonly<Record<Evidence['source'], number>> = { config: 0, launch: 1, token_kind: 2, jwt: 3 };
// Dozens of headers could each carry a token: the list stays bounded (distinct entries, then a cap).
const MAX_EVIDENCE = 16;

export function attribute(input: AttributionInput): Attribution {
  const all: Evidence[] = [];
  if (input.configured !== 'unknown') all.push({ source: 'config', type: input.configured });
  if (input.launchContext !== null) all.push({ source: 'launch', type: input.launchContext === 'ci' ? 'automation' : 'human' });
  for (const entries of input.credentialEvidence) all.push(...entries);
  const evidence = distinct(all)
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => STRENGTH[a.entry.source] - STRENGTH[b.entry.source] || a.index - b.index)
    .map(({ entry }) => entry)
    .slice(0, MAX_EVIDENCE);
  const types = new Set(all.map((entry) => entry.type));
  return { type: evidence[0]?.type ?? 'unknown', evidence, conflict: types.size > 1 };
}

/** A credential's evidence: its kind's holder (when the catalogue knows it), then its JWT subject. */
export function credentialEvidence(kind: string, holder: Holder, jwt: JwtFacts | null): Evidence[] {
  const evidence: Evidence[] = [];
  if (holder !== 'unknown') evidence.push({ source: 'token_kind', type: holder, kind });
  const subject = jwt === null ? null : jwtSubjectType(jwt);
  if (subject !== null) evidence.push({ source: 'jwt', type: subject });
  return evidence;
}

// Subjects that name a workload, not a person: Kubernetes service accounts, Google service-account
// emails, Auth0 client-credentials subjects, GitHub Actions / GitLab CI OIDC subjects.
const SERVICE_PREFIXES = ['system:serviceaccount:', 'service-account-', 'serviceaccount:', 'repo:', 'project_path:'];
const SERVICE_SUFFIXES = ['.iam.gserviceaccount.com', '.gserviceaccount.com', '@clients'];
// Auth0-style `<connection>|<id>` subjects of people (social and database logins).
const USER_CONNECTIONS = ['auth0|', 'google-oauth2|', 'github|', 'windowslive|', 'samlp|', 'waad|', 'email|', 'sms|'];

/**
 * automation: a client-credentials token (`gty`, sub = azp/client_id, Azure `idtyp: app`) or a
 * service-account subject. human: only on a clear sign of a person (`idtyp: user`, a password grant, an
 * end-user authentication time, a person's login subject). Anything else: no evidence.
 */
export function jwtSubjectType(facts: JwtFacts): ActorKind | null {
  const sub = facts.sub;
  const grant = facts.grantType?.toLowerCase() ?? null;
  if (grant === 'client-credentials' || grant === 'client_credentials' || facts.idType === 'app') return 'automation';
  if (sub !== null && sub !== '' && (sub === facts.azp || sub === facts.clientId)) return 'automation';
  if (sub !== null && isServiceSubject(sub.toLowerCase())) return 'automation';
  if (facts.idType === 'user' || grant === 'password' || facts.authTime) return 'human';
  if (sub !== null && USER_CONNECTIONS.some((prefix) => sub.toLowerCase().startsWith(prefix))) return 'human';
  return null;
}

function isServiceSubject(sub: string): boolean {
  return SERVICE_PREFIXES.some((prefix) => sub.startsWith(prefix)) || SERVICE_SUFFIXES.some((suffix) => sub.endsWith(suffix));
}

function distinct(entries: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = `${entry.source}|${entry.type}|${'kind' in entry ? entry.kind : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
