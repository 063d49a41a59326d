/**
 * The runner: stages in order, stop at the first refusal, and — whatever happens, including a stage that
 * throws — end in exactly one Outcome handed to the observers (audit, telemetry) from `finally`.
 */
import type { Outcome, OutcomeObserver, Refusal, RequestContext } from './context.js';
import type { Runtime } from './runtime.js';
import type { Stage } from './stage.js';

/** Writes a refusal to the client (the transport knows how: a coded reply, or cutting the connection). */
export type RefusalWriter = (ctx: RequestContext, refusal: Refusal) => void;

export interface RunOptions {
  readonly stages: readonly Stage[];
  readonly runtime: Runtime;
  readonly writeRefusal: RefusalWriter;
  readonly observe: OutcomeObserver;
  readonly now: () => bigint;
  /** Skip observers for an accepted CONNECT: its requests are audited one by one instead. */
  readonly observeSuccess?: boolean;
}

export async function runPipeline(ctx: RequestContext, options: RunOptions): Promise<boolean> {
  let passed = false;
  try {
    for (const stage of options.stages) {
      // Most stages are synchronous: awaiting only real promises saves a microtask turn per stage.
      const result = stage.run(ctx, options.runtime);
      const verdict = result instanceof Promise ? await result : result;
      if ('refuse' in verdict) {
        ctx.refusal = verdict.refuse;
        // Guarded like the error path: a writer that throws must not turn this refusal into an
        // internal_error or get a second reply written after a half-written first one.
        safely(() => options.writeRefusal(ctx, verdict.refuse));
        return false;
      }
    }
    passed = true;
    return true;
  } catch (error: unknown) {
    // A throwing stage is a bug, never a crash: the client gets a coded 500, the audit gets the detail.
    ctx.refusal = { reason: 'internal_error', detail: describeError(error) };
    safely(() => options.writeRefusal(ctx, ctx.refusal!));
    return false;
  } finally {
    ctx.timings.endNs = options.now();
    if (!passed || options.observeSuccess !== false) safely(() => options.observe(buildOutcome(ctx)));
  }
}

export function buildOutcome(ctx: RequestContext): Outcome {
  const { startNs, upstreamStartNs, endNs } = ctx.timings;
  const end = endNs ?? startNs;
  return {
    context: ctx,
    durationMs: nsToMs(end - startNs),
    upstreamMs: upstreamStartNs === undefined ? null : nsToMs(end - upstreamStartNs),
    result: resultOf(ctx),
  };
}

function resultOf(ctx: RequestContext): Outcome['result'] {
  if (!ctx.refusal) return 'forwarded';
  // Refused: stopped before anything was sent upstream. Failed: the upstream exchange began and broke.
  return ctx.timings.upstreamStartNs === undefined ? 'refused' : 'failed';
}

function nsToMs(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // An observer or writer failing must not take the request path down with it; the audit layer tracks
    // its own sink health and the fail-closed gate acts on that.
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 500);
  return 'non-error thrown';
}
