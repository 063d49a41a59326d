/**
 * What goes back to the client for one upstream response:
 *   - not scrubbed, or a body scrubbing leaves alone (no body, binary): the upstream's body as it streams;
 *   - a small body of declared length: read whole, scrubbed in one call (whole-scrub.ts) and sent with its
 *     own Content-Length, so head and body leave in one write;
 *   - any other scanned body: decoded and redacted as it streams (response-scrub.ts), framed chunked;
 *   - a coding that cannot be decoded, when the tool blocks those: refused before anything went out.
 */
import { Readable } from 'node:stream';
import type { RequestContext } from '../pipeline/context.js';
import { scrubRecordOf } from '../pipeline/scrub-record.js';
import { endToEndHeaders } from './hop-by-hop.js';
import { setupResponseScrub, wholeScrubPlan, type ResponseScrubOptions } from './response-scrub.js';
import type { StreamedResponse, UpstreamResponse } from './upstream-exchange.js';
import { scrubWhole } from './whole-scrub.js';

export type ResponseBody =
  | { readonly kind: 'whole'; readonly rawHeaders: string[]; readonly bytes: Buffer }
  | { readonly kind: 'stream'; readonly rawHeaders: string[]; readonly stream: Readable; readonly heldBack: boolean }
  | { readonly kind: 'refuse' };

/** Call it as soon as the response head arrived: nothing may read the upstream body before it. */
export async function responseBody(ctx: RequestContext, upstreamRes: UpstreamResponse): Promise<ResponseBody> {
  const passed = endToEndHeaders(upstreamRes.rawHeaders);
  const plan = ctx.responseScrub?.responses;
  if (plan === undefined || plan === null) return { kind: 'stream', rawHeaders: passed, stream: upstreamRes.body, heldBack: false };
  const options: ResponseScrubOptions = { createRedactor: () => plan.createBodyRedactor(), undecodable: plan.undecodable };
  const whole = wholeScrubPlan(ctx.method, upstreamRes, passed, options);
  let source: StreamedResponse = upstreamRes;
  if (whole !== null) {
    const raw = await upstreamRes.readWhole();
    if (raw.length > whole.declaredBytes) throw new ContentLengthExceededError();
    const scrubbed = scrubWhole(raw, whole.codings, { createRedactor: options.createRedactor, maxDecodedBytes: whole.maxDecodedBytes });
    if (scrubbed !== null) {
      scrubRecordOf(ctx).responseBody = 'scanned';
      return { kind: 'whole', rawHeaders: whole.rawHeaders, bytes: scrubbed };
    }
    // It decodes to more than a whole decode holds: the same bytes go through the stream stages.
    source = {
      statusCode: upstreamRes.statusCode,
      statusMessage: upstreamRes.statusMessage,
      rawHeaders: upstreamRes.rawHeaders,
      contentLength: upstreamRes.contentLength,
      transferEncoding: upstreamRes.transferEncoding,
      body: Readable.from([raw]),
    };
  }
  const setup = setupResponseScrub(ctx.method, source, passed, options);
  const record = scrubRecordOf(ctx);
  if (setup.kind === 'refuse') {
    record.responseBody = 'undecodable';
    source.body.destroy();
    return { kind: 'refuse' };
  }
  record.responseBody = setup.handling;
  if (setup.kind === 'relay') return { kind: 'stream', rawHeaders: passed, stream: source.body, heldBack: false };
  return { kind: 'stream', rawHeaders: setup.rawHeaders, stream: setup.body, heldBack: true };
}

class ContentLengthExceededError extends Error {
  constructor() {
    super('the upstream sent more than its Content-Length');
    this.name = 'ContentLengthExceededError';
  }
}
