/**
 * The whole-body scrub (a small body of declared length, scrubbed in one call) must send exactly the bytes
 * the stream stages send for the same body, whatever its codings and wherever its secrets sit; a corrupt
 * coding fails the same way; a body that decodes past what a whole decode holds is left to the stages.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StreamRedactor } from '../../../src/scanning/index.js';
import { setupResponseScrub, wholeScrubPlan } from '../../../src/proxy/response-scrub.js';
import type { StreamedResponse } from '../../../src/proxy/upstream-exchange.js';
import { scrubWhole } from '../../../src/proxy/whole-scrub.js';
import { ResponseBodyError } from '../../../src/proxy/content-coding.js';
import { testScanner } from '../../helpers/proxy.js';
import { githubToken } from '../scanning/helpers.js';

const TOKEN = githubToken('ghp', 'aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1');
const createRedactor = (): StreamRedactor => new StreamRedactor(testScanner());
const options = { createRedactor, undecodable: 'block' as const };

function upstream(raw: Buffer, headers: readonly string[]): StreamedResponse {
  return {
    statusCode: 200,
    statusMessage: 'OK',
    rawHeaders: [...headers, 'Content-Length', String(raw.length)],
    contentLength: String(raw.length),
    transferEncoding: undefined,
    body: Readable.from([raw]),
  };
}

async function viaStages(res: StreamedResponse): Promise<Buffer> {
  const setup = setupResponseScrub('GET', res, res.rawHeaders, options);
  if (setup.kind !== 'scrub') throw new Error(`expected a scrub, got ${setup.kind}`);
  const chunks: Buffer[] = [];
  for await (const chunk of setup.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function viaWhole(res: StreamedResponse, raw: Buffer): Buffer | null {
  const plan = wholeScrubPlan('GET', res, res.rawHeaders, options);
  if (plan === null) throw new Error('expected a whole-body plan');
  return scrubWhole(raw, plan.codings, { createRedactor, maxDecodedBytes: 1024 ** 3 });
}

const json = (text: string): Buffer => Buffer.from(JSON.stringify({ data: text, n: 1 }));
const JSON_TYPE = ['Content-Type', 'application/json'];

describe('whole-body scrub = the stream stages, byte for byte', () => {
  it.each([
    { name: 'plain JSON without secrets', raw: json('nothing to see'), headers: JSON_TYPE },
    { name: 'plain JSON with a token', raw: json(`token ${TOKEN} here`), headers: JSON_TYPE },
    { name: 'a JSON-escaped token', raw: Buffer.from(`{"a":"${TOKEN.slice(0, 8)}\\u005f${TOKEN.slice(8)}"}`), headers: JSON_TYPE },
    { name: 'gzip', raw: zlib.gzipSync(json(`x ${TOKEN}`)), headers: [...JSON_TYPE, 'Content-Encoding', 'gzip'] },
    { name: 'zlib deflate', raw: zlib.deflateSync(json(`x ${TOKEN}`)), headers: [...JSON_TYPE, 'Content-Encoding', 'deflate'] },
    { name: 'raw deflate', raw: zlib.deflateRawSync(json(`x ${TOKEN}`)), headers: [...JSON_TYPE, 'Content-Encoding', 'deflate'] },
    { name: 'brotli', raw: zlib.brotliCompressSync(json(`x ${TOKEN}`)), headers: [...JSON_TYPE, 'Content-Encoding', 'br'] },
    { name: 'gzip then brotli', raw: zlib.brotliCompressSync(zlib.gzipSync(json(`x ${TOKEN}`))), headers: [...JSON_TYPE, 'Content-Encoding', 'gzip, br'] },
    { name: 'text/plain', raw: Buffer.from(`password=hunter2hunter2 ${TOKEN}\n`), headers: ['Content-Type', 'text/plain'] },
  ])('$name', async ({ raw, headers }) => {
    const whole = viaWhole(upstream(raw, headers), raw);
    expect(whole).not.toBeNull();
    expect(whole!.equals(await viaStages(upstream(raw, headers)))).toBe(true);
    expect(whole!.toString('latin1')).not.toContain(TOKEN);
  });
});

describe('whole-body scrub: what it leaves to the stages, and how it fails', () => {
  it('is not planned for empty bodies, event streams, JSON Lines, chunked or large bodies', () => {
    const raw = json('x');
    expect(wholeScrubPlan('GET', upstream(Buffer.alloc(0), JSON_TYPE), [], options)).toBeNull();
    expect(wholeScrubPlan('GET', upstream(raw, ['Content-Type', 'text/event-stream']), [], options)).toBeNull();
    expect(wholeScrubPlan('GET', upstream(raw, ['Content-Type', 'application/x-ndjson']), [], options)).toBeNull();
    expect(wholeScrubPlan('GET', { ...upstream(raw, JSON_TYPE), contentLength: undefined, transferEncoding: 'chunked' }, [], options)).toBeNull();
    const big = Buffer.alloc(64 * 1024, 0x61);
    expect(wholeScrubPlan('GET', upstream(big, JSON_TYPE), [], options)).toBeNull();
  });

  it('fails a corrupt coding as undecodable, naming the coding and never the bytes', () => {
    const raw = Buffer.from(`not gzip at all ${TOKEN}`);
    let thrown: unknown;
    try {
      viaWhole(upstream(raw, [...JSON_TYPE, 'Content-Encoding', 'gzip']), raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ResponseBodyError);
    expect((thrown as ResponseBodyError).code).toBe('RESPONSE_UNDECODABLE');
    expect((thrown as Error).message).toContain('gzip');
    expect((thrown as Error).message).not.toContain(TOKEN);
  });

  it('returns null for a body that decodes past what a whole decode holds (a 30 KB gzip of 8 MB)', () => {
    const raw = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61), { level: 9 });
    expect(raw.length).toBeLessThan(32 * 1024);
    expect(viaWhole(upstream(raw, [...JSON_TYPE, 'Content-Encoding', 'gzip']), raw)).toBeNull();
  });

  it('enforces maxDecodedBytes on what it decoded', () => {
    const raw = zlib.gzipSync(Buffer.alloc(4096, 0x61));
    expect(() => scrubWhole(raw, ['gzip'], { createRedactor, maxDecodedBytes: 1000 })).toThrow(/exceeds 1000 bytes/);
  });
});
