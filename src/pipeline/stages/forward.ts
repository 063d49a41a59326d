/** The last stage: hand the request to the transport's forwarder, which streams both ways. */
import type { RequestContext } from '../context.js';
import type { Runtime } from '../runtime.js';
import { NEXT, type Stage, type StageVerdict } from '../stage.js';

export const forwardStage: Stage = {
  name: 'forward',
  async run(ctx: RequestContext, runtime: Runtime): Promise<StageVerdict> {
    const failure = await runtime.forwarder.forward(ctx);
    return failure ? { refuse: failure } : NEXT;
  },
};
