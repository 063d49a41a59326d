/**
 * The exfiltration guard: a secret in a request's headers, path, query or body that the tool is not
 * configured to send to this destination is refused (`requests: block`, reason `exfiltration`), replaced
 * (`requests: redact`) or ignored (`off`). In report mode a block is recorded as `would_block` and the
 * request goes out unchanged.
 *
 * Not exfiltration: the credential a tool sends in its own auth headers (Authorization, the API-key
 * headers token intelligence knows, Cookie) or in a query parameter named for a credential (`access_token`,
 * `key`) — whether that host may be called at all is the allowlist's judgement, and which token was used
 * is token intelligence's — and kinds an allow rule lists under `secrets`.
 *
 * The body is held (up to `maxRequestBodyBytes`) and scanned before a byte of it leaves; a larger body
 * cannot be judged, so `block` refuses it (fail closed) and the other settings pass it on, flagged.
 */
import type { ScrubSettings } from '../../config/types.js';
import { kindAllowed, sendableSecretKinds } from '../../policy/compile.js';
import { contentKind } from '../../scanning/content-kind.js';
import { CREDENTIAL_HEADERS } from '../../tokens/credentials.js';
import { isSecretParamName } from '../../tokens/query.js';
import { redactRequest, scanRequest, type LocatedFinding, type OutgoingRequest } from '../../scanning/request-scan.js';
import type { BodyHandling, RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { recordScrubFinding, scrubRecordOf } from '../scrub-record.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../stage.js';
import { sameHeaderLines, tunnelMemo } from '../tunnel-memo.js';
import { BodyReadAbortedError, decodeBody, encodeBody, hasRequestBody, readBodyUpTo, type DecodedBody } from './request-body.js';

/** Headers that carry the tool's own credential for the host it calls. */
const OWN_CREDENTIAL_HEADERS: ReadonlySet<string> = new Set([...CREDENTIAL_HEADERS, 'cookie']);
// Hop-by-hop and proxy headers never reach the upstream (the forwarder drops them): nothing to judge there.
const NOT_FORWARDED = new Set(['host', 'connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const ALL_FORMS = { json: true, percent: true } as const;

export function scrubSettingsFor(ctx: RequestContext, runtime: Runtime): ScrubSettings {
  const tool = ctx.identity?.tool;
  return (tool === null || tool === undefined ? undefined : runtime.config.tools.get(tool)?.scrub) ?? runtime.config.scrub;
}

export const exfiltrationStage: Stage = {
  name: 'exfiltration',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict | Promise<StageVerdict> {
    const settings = scrubSettingsFor(ctx, runtime);
    if (settings.requests === 'off') {
      if (hasRequestBody(ctx.req)) scrubRecordOf(ctx).requestBody = 'off';
      return NEXT;
    }
    if (!hasRequestBody(ctx.req) || ctx.upgradeHead !== null) return judge(ctx, runtime, settings, null, 'none');
    return judgeWithBody(ctx, runtime, settings);
  },
};

async function judgeWithBody(ctx: RequestContext, runtime: Runtime, settings: ScrubSettings): Promise<StageVerdict> {
  let held;
  try {
    held = await readBodyUpTo(ctx.req, settings.maxRequestBodyBytes);
  } catch (error) {
    if (error instanceof BodyReadAbortedError) return refuse('client_aborted');
    throw error;
  }
  ctx.requestBytes += held.bytes.length;
  ctx.rewrite = { rawHeaders: null, requestTarget: null, body: held };
  if (!held.complete) {
    scrubRecordOf(ctx).requestBody = 'too_large';
    if (blocks(ctx, settings)) return refuse('request_body_too_large');
    return judge(ctx, runtime, settings, null, 'too_large');
  }
  if (contentKind(ctx.req.headers['content-type']) === 'binary') return judge(ctx, runtime, settings, null, 'binary');
  const decoded = decodeBody(held.bytes, ctx.req.headers['content-encoding'], settings.maxRequestBodyBytes);
  if (!decoded.ok) {
    scrubRecordOf(ctx).requestBody = 'undecodable';
    if (settings.undecodable === 'block') return refuse('request_undecodable');
    return judge(ctx, runtime, settings, null, 'undecodable');
  }
  return judge(ctx, runtime, settings, decoded, 'scanned');
}

function judge(
  ctx: RequestContext,
  runtime: Runtime,
  settings: ScrubSettings,
  body: Extract<DecodedBody, { ok: true }> | null,
  handling: BodyHandling,
): StageVerdict {
  if (handling !== 'none') scrubRecordOf(ctx).requestBody = handling;
  const outgoing = outgoingRequest(ctx, body);
  const exfiltrated = scanOutgoing(ctx, runtime, outgoing).filter(
    (found) => isForwarded(found, outgoing) && !isOwnCredential(found, ctx, runtime),
  );
  if (exfiltrated.length === 0) return NEXT;
  if (settings.requests === 'block') {
    const enforce = ctx.decision?.mode === 'enforce';
    for (const found of exfiltrated) recordScrubFinding(ctx, enforce ? 'blocked' : 'would_block', found.finding, found.location);
    return enforce ? refuse('exfiltration') : NEXT;
  }
  for (const found of exfiltrated) recordScrubFinding(ctx, 'redacted', found.finding, found.location);
  applyRedaction(ctx, runtime, settings, outgoing, exfiltrated, body);
  return NEXT;
}

/**
 * scanRequest(), skipping the header lines when this tunnel's previous request had the very same lines
 * and the scan found nothing in them under this runtime. Header names and values are scanned on their
 * own (apart from path, query and body) by the runtime's scanner, a pure function of its input, so the
 * same lines give the same empty result: skipping them changes nothing but the time. Clients on a
 * keep-alive tunnel usually repeat their headers verbatim; any difference scans them all again.
 */
function scanOutgoing(ctx: RequestContext, runtime: Runtime, outgoing: OutgoingRequest): LocatedFinding[] {
  const memo = tunnelMemo(ctx, runtime);
  const clean = memo?.cleanHeaders ?? null;
  const knownClean = clean !== null && sameHeaderLines(clean, outgoing.rawHeaders);
  const found = scanRequest(runtime.scanner, knownClean ? { ...outgoing, rawHeaders: NO_HEADER_LINES } : outgoing);
  if (memo !== null && !knownClean) {
    memo.cleanHeaders = found.some(isInHeaderLines) ? null : [...outgoing.rawHeaders];
  }
  return found;
}

const NO_HEADER_LINES: readonly string[] = Object.freeze([]);

function isInHeaderLines(found: LocatedFinding): boolean {
  return found.where.part === 'header' || found.where.part === 'header-name';
}

function blocks(ctx: RequestContext, settings: ScrubSettings): boolean {
  return settings.requests === 'block' && ctx.decision?.mode === 'enforce';
}

function outgoingRequest(ctx: RequestContext, body: Extract<DecodedBody, { ok: true }> | null): OutgoingRequest {
  const target = ctx.target!.requestTarget;
  const queryAt = target.indexOf('?');
  return {
    rawHeaders: ctx.req.rawHeaders,
    path: queryAt < 0 ? target : target.slice(0, queryAt),
    query: queryAt < 0 ? '' : target.slice(queryAt + 1),
    body: body?.bytes ?? null,
    bodyForms: ALL_FORMS,
    // Their values are the tool's own credentials, never exfiltration: not worth a scan.
    unscannedHeaders: OWN_CREDENTIAL_HEADERS,
  };
}

/** Only what reaches the upstream is judged; the transport drops the rest (Connection-listed names too). */
function isForwarded(found: LocatedFinding, outgoing: OutgoingRequest): boolean {
  if (found.where.part !== 'header') return true;
  const lower = outgoing.rawHeaders[found.where.index]!.toLowerCase();
  return !NOT_FORWARDED.has(lower) && !lower.startsWith('proxy-');
}

function isOwnCredential(found: LocatedFinding, ctx: RequestContext, runtime: Runtime): boolean {
  if (found.where.part === 'header' && OWN_CREDENTIAL_HEADERS.has(found.location.slice('request.header.'.length))) return true;
  // `?access_token=`, `?api_key=`, `?key=`: how many APIs take the caller's own key (a token in `?text=` is not).
  if (found.where.part === 'query' && isSecretParamName(found.location.slice('request.query.'.length))) return true;
  const decision = ctx.decision;
  if (decision?.action !== 'allow') return false;
  return kindAllowed(sendableSecretKinds(runtime.policy, decision.ruleId), found.finding.kind);
}

function applyRedaction(
  ctx: RequestContext,
  runtime: Runtime,
  settings: ScrubSettings,
  outgoing: OutgoingRequest,
  findings: readonly LocatedFinding[],
  body: Extract<DecodedBody, { ok: true }> | null,
): void {
  const options = settings.markers === 'fingerprint' ? { fingerprint: runtime.secretFingerprint } : {};
  const redacted = redactRequest(outgoing, findings, options);
  const bodyChanged = body !== null && findings.some((found) => found.where.part === 'body');
  const query = redacted.query === '' && outgoing.query === '' ? '' : `?${redacted.query}`;
  ctx.rewrite = {
    rawHeaders: redacted.rawHeaders,
    requestTarget: `${redacted.path}${query}`,
    body: bodyChanged ? { bytes: encodeBody(redacted.body!, body.codings), complete: true } : (ctx.rewrite?.body ?? null),
  };
}
