/**
 * Which credential the tool sends upstream, as fingerprint and hint only. This is the seam where token
 * intelligence (kind, attribution, inventory) and credential brokering plug in. Reads every header line
 * (`headersDistinct`): Node's `headers` keeps only the first Authorization, while all of them go upstream.
 */
import { credentialsInHeaders } from '../../tokens/credentials.js';
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, type Stage, type StageVerdict } from '../stage.js';

export const credentialsStage: Stage = {
  name: 'credentials',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    ctx.credentials = credentialsInHeaders(ctx.req.headersDistinct, runtime.fingerprint);
    return NEXT;
  },
};
