/**
 * The runner's contract: stages in order, stop at the first refusal, write at most one reply, and end in
 * exactly one Outcome for the observers, whatever a stage, the writer or an observer does.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Outcome, Refusal, RequestContext } from '../../../src/pipeline/context.js';
import { buildOutcome, runPipeline, type RunOptions } from '../../../src/pipeline/run.js';
import type { Runtime } from '../../../src/pipeline/runtime.js';
import { NEXT, refuse, type Stage, type StageVerdict } from '../../../src/pipeline/stage.js';
import { requestContext, START_NS } from '../../helpers/context-factory.js';

// The stages below never consult the runtime; the runner only hands it through.
const RUNTIME = Object.freeze({}) as unknown as Runtime;
const END_NS = START_NS + 1_234_567_000n;

interface Harness {
  readonly ran: string[];
  readonly outcomes: Outcome[];
  readonly writes: [RequestContext, Refusal][];
  readonly options: RunOptions;
}

function harness(stages: readonly Stage[], overrides: Partial<RunOptions> = {}): Harness {
  const ran: string[] = [];
  const outcomes: Outcome[] = [];
  const writes: [RequestContext, Refusal][] = [];
  const recorded = stages.map((stage) => ({
    name: stage.name,
    run: (ctx: RequestContext, runtime: Runtime) => {
      ran.push(stage.name);
      return stage.run(ctx, runtime);
    },
  }));
  const options: RunOptions = {
    stages: recorded,
    runtime: RUNTIME,
    writeRefusal: (ctx, refusal) => void writes.push([ctx, refusal]),
    observe: (outcome) => void outcomes.push(outcome),
    now: () => END_NS,
    ...overrides,
  };
  return { ran, outcomes, writes, options };
}

const pass = (name: string): Stage => ({ name, run: () => NEXT });
const passAsync = (name: string): Stage => ({ name, run: async () => NEXT });
const refusing = (name: string, verdict: StageVerdict): Stage => ({ name, run: () => verdict });
const throwing = (name: string, thrown: unknown): Stage => ({
  name,
  run: () => {
    throw thrown;
  },
});

describe('runPipeline', () => {
  it('runs every stage in order and observes one forwarded outcome', async () => {
    const ctx = requestContext();
    const h = harness([pass('a'), passAsync('b'), pass('c')]);
    await expect(runPipeline(ctx, h.options)).resolves.toBe(true);
    expect(h.ran).toEqual(['a', 'b', 'c']);
    expect(h.writes).toEqual([]);
    expect(h.outcomes).toHaveLength(1);
    expect(h.outcomes[0]).toMatchObject({ context: ctx, result: 'forwarded', durationMs: 1234.567, upstreamMs: null });
    expect(ctx.timings.endNs).toBe(END_NS);
  });

  it('stops at a refusal: writes it once, runs no later stage, observes one refused outcome', async () => {
    const ctx = requestContext();
    const h = harness([pass('a'), refusing('b', refuse('no_rule_for_host')), pass('c')]);
    await expect(runPipeline(ctx, h.options)).resolves.toBe(false);
    expect(h.ran).toEqual(['a', 'b']);
    expect(h.writes).toEqual([[ctx, { reason: 'no_rule_for_host' }]]);
    expect(ctx.refusal).toEqual({ reason: 'no_rule_for_host' });
    expect(h.outcomes.map((o) => o.result)).toEqual(['refused']);
  });

  it('keeps a refusal detail for the audit', async () => {
    const ctx = requestContext();
    await runPipeline(ctx, harness([refusing('dns', refuse('dns_failed', 'ENOTFOUND api.example.test'))]).options);
    expect(ctx.refusal).toEqual({ reason: 'dns_failed', detail: 'ENOTFOUND api.example.test' });
  });

  it.each([
    { name: 'an Error', thrown: new TypeError('boom'), detail: 'TypeError: boom' },
    { name: 'a string', thrown: 'boom', detail: 'non-error thrown' },
    { name: 'undefined', thrown: undefined, detail: 'non-error thrown' },
  ])('turns a stage that throws $name into internal_error, without throwing', async ({ thrown, detail }) => {
    const ctx = requestContext();
    const h = harness([pass('a'), throwing('b', thrown), pass('c')]);
    await expect(runPipeline(ctx, h.options)).resolves.toBe(false);
    expect(h.ran).toEqual(['a', 'b']);
    expect(ctx.refusal).toEqual({ reason: 'internal_error', detail });
    expect(h.writes).toEqual([[ctx, { reason: 'internal_error', detail }]]);
    expect(h.outcomes.map((o) => o.result)).toEqual(['refused']);
  });

  it('treats a rejected async stage like a throwing one', async () => {
    const ctx = requestContext();
    const h = harness([{ name: 'async', run: () => Promise.reject(new Error('late')) }]);
    await expect(runPipeline(ctx, h.options)).resolves.toBe(false);
    expect(ctx.refusal).toEqual({ reason: 'internal_error', detail: 'Error: late' });
    expect(h.outcomes).toHaveLength(1);
  });

  it('reports failed, not refused, when the stage broke after the upstream exchange began', async () => {
    const ctx = requestContext();
    const forward: Stage = {
      name: 'forward',
      run: (c) => {
        c.timings.upstreamStartNs = START_NS + 1_000_000n;
        return refuse('upstream_reset');
      },
    };
    const h = harness([forward]);
    await runPipeline(ctx, h.options);
    expect(h.outcomes[0]).toMatchObject({ result: 'failed', upstreamMs: 1233.567 });
  });

  it('survives an observer that throws', async () => {
    const observe = vi.fn(() => {
      throw new Error('sink down');
    });
    await expect(runPipeline(requestContext(), harness([pass('a')], { observe }).options)).resolves.toBe(true);
    await expect(runPipeline(requestContext(), harness([refusing('a', refuse('bad_target'))], { observe }).options)).resolves.toBe(false);
    await expect(runPipeline(requestContext(), harness([throwing('a', new Error('x'))], { observe }).options)).resolves.toBe(false);
    expect(observe).toHaveBeenCalledTimes(3);
  });

  it('keeps the stage\'s refusal and writes once when the refusal writer throws', async () => {
    const ctx = requestContext();
    const writeRefusal = vi.fn(() => {
      throw new Error('socket gone');
    });
    const h = harness([refusing('a', refuse('path_not_allowed')), pass('b')], { writeRefusal });
    await expect(runPipeline(ctx, h.options)).resolves.toBe(false);
    expect(writeRefusal).toHaveBeenCalledTimes(1);
    expect(ctx.refusal).toEqual({ reason: 'path_not_allowed' });
    expect(h.ran).toEqual(['a']);
    expect(h.outcomes).toHaveLength(1);
  });

  it('survives a refusal writer that throws on an internal error', async () => {
    const writeRefusal = vi.fn(() => {
      throw new Error('socket gone');
    });
    const h = harness([throwing('a', new Error('x'))], { writeRefusal });
    await expect(runPipeline(requestContext(), h.options)).resolves.toBe(false);
    expect(writeRefusal).toHaveBeenCalledTimes(1);
    expect(h.outcomes).toHaveLength(1);
  });

  describe('observeSuccess: false (an accepted CONNECT is audited request by request)', () => {
    it.each([
      { name: 'success', stages: [pass('a')], observed: [] },
      { name: 'refusal', stages: [refusing('a', refuse('proxy_auth_missing'))], observed: ['refused'] },
      { name: 'throwing stage', stages: [throwing('a', new Error('x'))], observed: ['refused'] },
    ])('$name -> observed $observed', async ({ stages, observed }) => {
      const h = harness(stages, { observeSuccess: false });
      await runPipeline(requestContext(), h.options);
      expect(h.outcomes.map((o) => o.result)).toEqual(observed);
    });

    it('observeSuccess: true observes a success', async () => {
      const h = harness([pass('a')], { observeSuccess: true });
      await runPipeline(requestContext(), h.options);
      expect(h.outcomes).toHaveLength(1);
    });
  });
});

describe('buildOutcome', () => {
  it.each([
    { name: 'not ended yet', end: undefined, upstream: undefined, refusal: undefined, expected: { durationMs: 0, upstreamMs: null, result: 'forwarded' } },
    { name: 'forwarded', end: END_NS, upstream: START_NS + 500_000n, refusal: undefined, expected: { durationMs: 1234.567, upstreamMs: 1234.067, result: 'forwarded' } },
    { name: 'refused before upstream', end: START_NS + 1_500n, upstream: undefined, refusal: 'ssrf_private' as const, expected: { durationMs: 0.001, upstreamMs: null, result: 'refused' } },
    { name: 'failed upstream', end: END_NS, upstream: START_NS, refusal: 'upstream_timeout' as const, expected: { durationMs: 1234.567, upstreamMs: 1234.567, result: 'failed' } },
  ])('$name', ({ end, upstream, refusal, expected }) => {
    const ctx = requestContext();
    if (end !== undefined) ctx.timings.endNs = end;
    if (upstream !== undefined) ctx.timings.upstreamStartNs = upstream;
    if (refusal !== undefined) ctx.refusal = { reason: refusal };
    expect(buildOutcome(ctx)).toEqual({ context: ctx, ...expected });
  });
});
