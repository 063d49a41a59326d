/**
 * Which credentials the tool sends upstream: kind, fingerprint, hint, JWT claims and what each says about
 * who holds it (token intelligence, src/tokens/). Reads every header line (`headersDistinct`): Node's
 * `headers` keeps only the first Authorization, while all of them go upstream. The request's own start
 * time (from the injected clock) decides whether a JWT has expired.
 *
 * Inside a tunnel a client sends the same credential and mostly the same headers request after request:
 * the tunnel's memo (tunnel-memo.ts) keeps the last scan and the last fingerprint for the runtime they
 * were made under. Both are pure functions of their input (same scanner, same key), so reusing them for
 * the same input changes nothing but the time.
 */
import type { Finding } from '../../scanning/findings.js';
import { detectCredentials, type DetectServices } from '../../tokens/credential-detect.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, type Stage, type StageVerdict } from '../stage.js';
import { tunnelMemo, type TunnelMemo } from '../tunnel-memo.js';

export const credentialsStage: Stage = {
  name: 'credentials',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const outgoing = { headers: ctx.req.headersDistinct, query: ctx.target?.query ?? '' };
    const memo = tunnelMemo(ctx, runtime);
    const shared = memo === null ? directServices(runtime) : memoServices(memo, runtime);
    ctx.credentials = detectCredentials(outgoing, { ...shared, now: ctx.timings.startedAt });
    return NEXT;
  },
};

export type CredentialServices = Pick<DetectServices, 'scan' | 'fingerprint'>;

function directServices(runtime: Runtime): CredentialServices {
  return { scan: (input) => runtime.scanner.scan(input), fingerprint: runtime.fingerprint };
}

function memoServices(memo: TunnelMemo, runtime: Runtime): CredentialServices {
  memo.credentialServices ??= rememberingServices(runtime);
  return memo.credentialServices;
}

/** Scan and fingerprint that answer a repeat of the previous input from memory (one entry each). */
function rememberingServices(runtime: Runtime): CredentialServices {
  let lastScan: { readonly input: Buffer; readonly findings: readonly Finding[] } | null = null;
  let lastFingerprint: { readonly token: string; readonly fingerprint: string } | null = null;
  return {
    scan(input) {
      if (lastScan === null || !lastScan.input.equals(input)) {
        // Frozen: callers get a fresh array each time, and no caller can alter what the next one sees.
        lastScan = { input: Buffer.from(input), findings: Object.freeze(runtime.scanner.scan(input).map((f) => Object.freeze(f))) };
      }
      return lastScan.findings.slice();
    },
    fingerprint(token) {
      if (lastFingerprint === null || lastFingerprint.token !== token) {
        lastFingerprint = { token, fingerprint: runtime.fingerprint(token) };
      }
      return lastFingerprint.fingerprint;
    },
  };
}
