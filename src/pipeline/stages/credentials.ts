/**
 * Which credentials the tool sends upstream: kind, fingerprint, hint, JWT claims and what each says about
 * who holds it (token intelligence, src/tokens/). Reads every header line (`headersDistinct`): Node's
 * `headers` keeps only the first Authorization, while all of them go upstream. The request's own start
 * time (from the injected clock) decides whether a JWT has expired.
 */
import { detectCredentials } from '../../tokens/credential-detect.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, type Stage, type StageVerdict } from '../stage.js';

export const credentialsStage: Stage = {
  name: 'credentials',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const outgoing = { headers: ctx.req.headersDistinct, query: ctx.target?.query ?? '' };
    const services = { scan: (input: Buffer) => runtime.scanner.scan(input), fingerprint: runtime.fingerprint, now: ctx.timings.startedAt };
    ctx.credentials = detectCredentials(outgoing, services);
    return NEXT;
  },
};
