/**
 * Response scrubbing (`scrub.responses: redact`): secrets from backends never reach the tool, and so
 * never the model. This stage only prepares the plan — fresh redactors wired to record every finding
 * into the context — and the transport applies it as the body (or each WebSocket message) streams.
 * Client-to-server WebSocket text is the request direction: judged like a request body (block, redact or
 * report) under `scrub.requests`.
 */
import type { ScrubSettings } from '../../config/types.js';
import { createEncodedStreamRedactor } from '../../scanning/index.js';
import type { Finding } from '../../scanning/findings.js';
import type { ResponseScrubPlan, RequestContext, ScrubAction, StreamScrubber } from '../context.js';
import type { Runtime } from '../runtime.js';
import { recordScrubFinding, scrubRecordOf } from '../scrub-record.js';
import { NEXT, type Stage, type StageVerdict } from '../stage.js';
import { scrubSettingsFor } from './exfiltration.js';

const RESPONSE_FORMS = { json: true, percent: true } as const;

export const responseScrubStage: Stage = {
  name: 'response-scrub',
  run(ctx: RequestContext, runtime: Runtime): StageVerdict {
    const settings = scrubSettingsFor(ctx, runtime);
    if (settings.responses === 'off') scrubRecordOf(ctx).responseBody = 'off';
    const clientAction = clientMessageAction(ctx, settings);
    if (settings.responses === 'off' && clientAction === null) return NEXT;
    ctx.responseScrub = plan(ctx, runtime, settings, clientAction);
    return NEXT;
  },
};

type ClientAction = 'block' | 'redact' | 'report';

function plan(ctx: RequestContext, runtime: Runtime, settings: ScrubSettings, clientAction: ClientAction | null): ResponseScrubPlan {
  const fingerprint = settings.markers === 'fingerprint' ? { fingerprint: runtime.secretFingerprint } : {};
  const redactor = (action: ScrubAction, location: string, onSecret?: () => void): StreamScrubber =>
    createEncodedStreamRedactor(runtime.scanner, {
      forms: RESPONSE_FORMS,
      ...fingerprint,
      onFinding: (finding: Finding) => {
        recordScrubFinding(ctx, action, finding, location);
        onSecret?.();
      },
    });
  return {
    responses:
      settings.responses === 'off'
        ? null
        : {
            undecodable: settings.undecodable,
            createBodyRedactor: () => redactor('redacted', 'response.body'),
            createMessageRedactor: () => redactor('redacted', 'response.websocket'),
          },
    clientMessages:
      clientAction === null
        ? null
        : { action: clientAction, createRedactor: (onSecret) => redactor(recordedAs(clientAction), 'request.websocket', onSecret) },
  };
}

function clientMessageAction(ctx: RequestContext, settings: ScrubSettings): ClientAction | null {
  if (ctx.upgradeHead === null || settings.requests === 'off') return null;
  if (settings.requests === 'redact') return 'redact';
  return ctx.decision?.mode === 'enforce' ? 'block' : 'report';
}

function recordedAs(action: ClientAction): ScrubAction {
  return action === 'block' ? 'blocked' : action === 'redact' ? 'redacted' : 'would_block';
}
