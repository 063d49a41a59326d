/**
 * Every credential a tool sends upstream, named by source, kind, keyed fingerprint and hint — never by
 * its value — with a JWT's claims and the attribution evidence each one carries. One scanner pass over all
 * the values: a credential's kind is the scanner's when a finding covers the whole value (`ghs_…` →
 * `github_installation_token`), else a generic kind by where it was sent; in any other header value,
 * each token the scanner recognises is a credential of source `header`.
 */
import type { Holder } from '../scanning/catalogue-schema.js';
import type { Finding } from '../scanning/findings.js';
import { credentialEvidence, type Evidence } from './attribution.js';
import {
  CREDENTIAL_HEADERS,
  credentialValuesInHeaders,
  credentialValuesInQuery,
  type CredentialSource,
  type CredentialValue,
  type HeaderBag,
} from './credentials.js';
import { tokenHint, type Fingerprinter } from './fingerprint.js';
import { decodeJwt, type JwtClaims } from './jwt-claims.js';

export interface CredentialSeen {
  readonly source: CredentialSource;
  readonly scheme: string | null;
  readonly kind: string;
  readonly fingerprint: string;
  readonly hint: string | null;
  /** Only for a JWT (JWS compact form): its decoded, sanitized claims. */
  readonly jwt?: JwtClaims;
  /** What this credential says about who holds it (token_kind, jwt); merged into the actor's evidence. */
  readonly evidence: readonly Evidence[];
}

export interface DetectServices {
  readonly scan: (input: Buffer) => Finding[];
  readonly fingerprint: Fingerprinter;
  /** The request's time, for `expired`. */
  readonly now: Date;
}

export interface OutgoingCredentials {
  /** Header lines as they go upstream, each name with all its values (`IncomingMessage.headersDistinct`). */
  readonly headers: HeaderBag;
  /** Raw query without `?`. */
  readonly query: string;
}

// Never forwarded (hop-by-hop, proxy credentials): nothing there reaches the upstream.
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const BEARER_SCHEMES = new Set(['bearer', 'token', 'none', 'other', 'dpop', 'oauth', 'gnap', 'privatetoken']);

export function detectCredentials(outgoing: OutgoingCredentials, services: DetectServices): CredentialSeen[] {
  const known = [...credentialValuesInHeaders(outgoing.headers), ...credentialValuesInQuery(outgoing.query)];
  const others = otherHeaderValues(outgoing.headers);
  const findings = findingsPerValue(services.scan, [...known.map((c) => c.value), ...others]);
  const seen = known.map((credential, at) => describe(credential, wholeValueFinding(findings[at]!, credential.value), services));
  others.forEach((value, at) => {
    const bytes = Buffer.from(value, 'utf8');
    for (const finding of findings[known.length + at]!) {
      const token = bytes.subarray(finding.start, finding.end).toString('utf8');
      seen.push(describe({ source: 'header', scheme: null, value: token }, finding, services));
    }
  });
  return seen;
}

function describe(credential: CredentialValue, finding: Finding | null, services: DetectServices): CredentialSeen {
  const kind = finding?.kind ?? genericKind(credential);
  const holder: Holder = finding?.holder ?? 'unknown';
  const jwt = decodeJwt(credential.value, services.now);
  const base = {
    source: credential.source,
    scheme: credential.scheme,
    kind,
    fingerprint: services.fingerprint(credential.value),
    hint: tokenHint(credential.value),
  };
  const evidence = credentialEvidence(kind, holder, jwt?.facts ?? null);
  return jwt === null ? { ...base, evidence } : { ...base, jwt: jwt.claims, evidence };
}

function genericKind(credential: CredentialValue): string {
  if (credential.source === 'authorization') {
    if (credential.scheme === 'basic') return 'basic_password';
    return BEARER_SCHEMES.has(credential.scheme ?? '') ? 'generic_bearer' : 'generic_api_key';
  }
  const param = credential.param ?? '';
  if (credential.source === 'query' && (param.endsWith('token') || param === 'jwt')) return 'generic_bearer';
  return 'generic_api_key';
}

/** The finding that is the whole value (the scanner recognised the token itself), if any. */
function wholeValueFinding(findings: readonly Finding[], value: string): Finding | null {
  const length = Buffer.byteLength(value, 'utf8');
  return findings.find((finding) => finding.start === 0 && finding.end === length) ?? null;
}

/** Values of every forwarded header that is not a credential header (their whole value is handled above). */
function otherHeaderValues(headers: HeaderBag): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || CREDENTIAL_HEADERS.has(name) || NOT_FORWARDED.has(name) || name.startsWith('proxy-')) continue;
    for (const entry of Array.isArray(value) ? value : [value]) if (entry !== '') values.push(entry);
  }
  return values;
}

/**
 * One scan over all values, a line each; each finding is given to its value with offsets relative to it.
 * A finding that spans two values (a multi-line rule) belongs to neither and is dropped.
 */
function findingsPerValue(scan: DetectServices['scan'], values: readonly string[]): Finding[][] {
  const perValue: Finding[][] = values.map(() => []);
  if (values.length === 0) return perValue;
  const starts: number[] = [];
  const buffers: Buffer[] = [];
  let offset = 0;
  for (const value of values) {
    const bytes = Buffer.from(`${value}\n`, 'utf8');
    starts.push(offset);
    buffers.push(bytes);
    offset += bytes.length;
  }
  for (const finding of scan(Buffer.concat(buffers, offset))) {
    let at = 0;
    while (at + 1 < starts.length && starts[at + 1]! <= finding.start) at += 1;
    const end = starts[at]! + buffers[at]!.length - 1;
    if (finding.end > end) continue;
    perValue[at]!.push({ ...finding, start: finding.start - starts[at]!, end: finding.end - starts[at]! });
  }
  return perValue;
}
