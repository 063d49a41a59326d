/**
 * Defect 7(d) of http-mitm-proxy 1.1.0: a throwing handler could take the process down or leave the
 * client without a reply. Here the runner turns any throw into one internal_error refusal and exactly
 * one Outcome; the transport's writer sends only the coded body, never the thrown text.
 */
import http, { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Outcome, Refusal, RequestContext } from '../../../src/pipeline/context.js';
import { runPipeline } from '../../../src/pipeline/run.js';
import type { Runtime } from '../../../src/pipeline/runtime.js';
import { NEXT, type Stage } from '../../../src/pipeline/stage.js';
import { newContext } from '../../../src/proxy/context-factory.js';
import { writeRefusal } from '../../../src/proxy/refusal-writer.js';
import { codedBody } from './harness.js';

const clock = { wall: () => new Date('2025-01-02T03:04:05Z'), mono: () => 1_000n };
const THROWN_TEXT = 'stage exploded near 10.1.2.3 with token sk_live_abc';
// The runner never reads the runtime; the stages below do not either.
const runtime = {} as Runtime;

const throwing: Record<string, Stage> = {
  'throws an Error': { name: 'throws', run: () => { throw new Error(THROWN_TEXT); } },
  'rejects asynchronously': { name: 'rejects', run: async () => { await Promise.resolve(); throw new TypeError(THROWN_TEXT); } },
  'throws a non-Error value': { name: 'throws-string', run: () => { throw THROWN_TEXT; } },
};

function detachedContext(): RequestContext {
  return newContext('request', new IncomingMessage(new Socket()), null, null, clock);
}

function recorder() {
  const refusals: Refusal[] = [];
  const outcomes: Outcome[] = [];
  return {
    refusals,
    outcomes,
    writeRefusal: (_ctx: RequestContext, refusal: Refusal) => void refusals.push(refusal),
    observe: (outcome: Outcome) => void outcomes.push(outcome),
  };
}

describe('7(d). a throwing stage ends in one internal_error outcome, not a crash', () => {
  it.each(Object.entries(throwing))('when a stage %s: refused once, observed once, later stages skipped', async (_name, stage) => {
    const later = { name: 'later', run: vi.fn(() => NEXT) };
    const seen = recorder();
    const ctx = detachedContext();
    const passed = await runPipeline(ctx, { stages: [stage, later], runtime, writeRefusal: seen.writeRefusal, observe: seen.observe, now: clock.mono });
    expect(passed).toBe(false);
    expect(later.run).not.toHaveBeenCalled();
    expect(seen.refusals).toHaveLength(1);
    expect(seen.refusals[0]?.reason).toBe('internal_error');
    expect(seen.outcomes).toHaveLength(1);
    expect(seen.outcomes[0]).toMatchObject({ result: 'refused', context: { refusal: { reason: 'internal_error' } } });
  });

  it('still observes exactly one outcome when the refusal writer and the observer throw too', async () => {
    const observe = vi.fn(() => {
      throw new Error('observer down');
    });
    const writer = vi.fn(() => {
      throw new Error('writer down');
    });
    const passed = await runPipeline(detachedContext(), { stages: [throwing['throws an Error']!], runtime, writeRefusal: writer, observe, now: clock.mono });
    expect(passed).toBe(false);
    expect(writer).toHaveBeenCalledTimes(1);
    expect(observe).toHaveBeenCalledTimes(1);
  });

  describe('through the transport writer, on a real connection', () => {
    let server: http.Server;
    const outcomes: Outcome[] = [];

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        const ctx = newContext('request', req, res, null, clock);
        void runPipeline(ctx, { stages: [throwing['rejects asynchronously']!], runtime, writeRefusal, observe: (o) => void outcomes.push(o), now: clock.mono });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('answers a coded 500 that carries none of the thrown text; the detail stays in the outcome', async () => {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(codedBody(text)).toMatchObject({ error: 'unavailable', reason: 'internal_error' });
      expect(text).not.toContain('exploded');
      expect(text).not.toContain('10.1.2.3');
      expect(text).not.toContain('sk_live');
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]?.context.refusal?.detail).toContain('exploded');
    });
  });
});
