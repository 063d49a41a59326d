/**
 * RFC 6455 framing: the examples of §5.7 byte for byte, length encodings at their boundaries, masking,
 * every protocol error the relay relies on, and the round-trip property — any valid frame sequence,
 * serialized and cut at any chunk boundaries, parses back to the same frames.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyMask,
  closeFrame,
  FrameParser,
  OPCODE,
  readFrames,
  serializeFrame,
  WsFrameError,
  type Frame,
  type FrameParserOptions,
  type ReadFrame,
} from '../../../src/proxy/websocket-frames.js';
import { splitAt } from '../../helpers/chunks.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);
const HELLO = Buffer.from('Hello');

/** A payload of `length` bytes from a small deterministic generator (fast-check would draw each byte). */
function filled(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}


/**
 * Frames with their payloads as short strings: vitest's deep equality walks a Buffer element by element,
 * which takes seconds for the 64 KiB payloads the property draws.
 */
function comparable(frames: readonly ReadFrame[]): (Omit<ReadFrame, 'payload'> & { payload: string })[] {
  const digest = (payload: Buffer): string =>
    payload.length <= 64 ? payload.toString('hex') : `${payload.length} bytes, sha256 ${createHash('sha256').update(payload).digest('hex')}`;
  return frames.map((frame) => ({ ...frame, payload: digest(frame.payload) }));
}

function expected(frame: Frame, masked: boolean): ReadFrame {
  return { fin: frame.fin, rsv1: frame.rsv1 ?? false, rsv2: frame.rsv2 ?? false, rsv3: frame.rsv3 ?? false, opcode: frame.opcode, masked, payload: frame.payload };
}

function errorOf(chunks: readonly Buffer[], options: FrameParserOptions): WsFrameError | null {
  const parser = new FrameParser(options);
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (error) {
    if (error instanceof WsFrameError) return error;
    throw error;
  }
  return null;
}

describe('RFC 6455 §5.7 examples', () => {
  const cases: { name: string; wire: Buffer; frames: ReadFrame[] }[] = [
    { name: 'unmasked text', wire: bytes(0x81, 0x05, ...HELLO), frames: [{ ...expected({ fin: true, opcode: OPCODE.text, payload: HELLO }, false) }] },
    {
      name: 'masked text',
      wire: bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
      frames: [expected({ fin: true, opcode: OPCODE.text, payload: HELLO }, true)],
    },
    {
      name: 'fragmented unmasked text',
      wire: bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
      frames: [expected({ fin: false, opcode: OPCODE.text, payload: Buffer.from('Hel') }, false), expected({ fin: true, opcode: 0, payload: Buffer.from('lo') }, false)],
    },
    { name: 'unmasked ping', wire: bytes(0x89, 0x05, ...HELLO), frames: [expected({ fin: true, opcode: OPCODE.ping, payload: HELLO }, false)] },
    {
      name: 'masked pong',
      wire: bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
      frames: [expected({ fin: true, opcode: OPCODE.pong, payload: HELLO }, true)],
    },
    {
      name: '256 bytes binary (16-bit length)',
      wire: Buffer.concat([bytes(0x82, 0x7e, 0x01, 0x00), filled(256, 1)]),
      frames: [expected({ fin: true, opcode: OPCODE.binary, payload: filled(256, 1) }, false)],
    },
    {
      name: '64 KiB binary (64-bit length)',
      wire: Buffer.concat([bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00), filled(65536, 2)]),
      frames: [expected({ fin: true, opcode: OPCODE.binary, payload: filled(65536, 2) }, false)],
    },
  ];

  it.each(cases)('parses $name, whole and one byte at a time', ({ wire, frames }) => {
    expect(comparable(readFrames([wire]))).toEqual(comparable(frames));
    const oneByteChunks = wire.length < 1000 ? [...wire].map((b) => bytes(b)) : splitAt(wire, [1, 2, 3, 5, 9, 11, 700]);
    expect(comparable(readFrames(oneByteChunks))).toEqual(comparable(frames));
  });

  it.each(cases.filter((c) => !c.frames[0]!.masked))('serializes $name to the same bytes', ({ wire, frames }) => {
    expect(Buffer.concat(frames.map((frame) => serializeFrame(frame, false))).equals(wire)).toBe(true);
  });
});

describe('length encodings', () => {
  it.each([
    { length: 0, second: 0, headerBytes: 2 },
    { length: 125, second: 125, headerBytes: 2 },
    { length: 126, second: 126, headerBytes: 4 },
    { length: 65535, second: 126, headerBytes: 4 },
    { length: 65536, second: 127, headerBytes: 10 },
  ])('a $length-byte payload takes a $headerBytes-byte header', ({ length, second, headerBytes }) => {
    const payload = filled(length, length + 7);
    for (const masked of [false, true]) {
      const wire = serializeFrame({ fin: true, opcode: OPCODE.binary, payload }, masked);
      expect(wire[1]! & 0x7f).toBe(second);
      expect(wire.length).toBe(headerBytes + (masked ? 4 : 0) + length);
      expect(comparable(readFrames([wire], { masked }))).toEqual(comparable([expected({ fin: true, opcode: OPCODE.binary, payload }, masked)]));
    }
  });
});

describe('masking', () => {
  it('a masked frame carries a fresh random key and the payload XORed with it', () => {
    const payload = Buffer.from('the same text every time, long enough to show the key');
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const wire = serializeFrame({ fin: true, opcode: OPCODE.text, payload }, true);
      expect(wire[1]! & 0x80).toBe(0x80);
      const key = wire.subarray(2, 6);
      keys.add(key.toString('hex'));
      expect(wire.subarray(6)).toEqual(applyMask(payload, key));
    }
    // 200 draws of 32 random bits: a repeat is a one-in-a-million event.
    expect(keys.size).toBeGreaterThanOrEqual(199);
  });

  it('unmasking in pieces at any offset equals unmasking the whole', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(64), (data, key, cut) => {
        const whole = Buffer.from(data);
        const mask = Buffer.from(key);
        const at = cut % (whole.length + 1);
        const pieces = Buffer.concat([applyMask(whole.subarray(0, at), mask, 0), applyMask(whole.subarray(at), mask, at)]);
        expect(pieces).toEqual(applyMask(whole, mask));
        expect(applyMask(applyMask(whole, mask), mask)).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('a server frame stays unmasked', () => {
    expect(serializeFrame({ fin: true, opcode: OPCODE.text, payload: HELLO }, false)).toEqual(bytes(0x81, 0x05, ...HELLO));
  });
});

describe('protocol errors', () => {
  const ping126 = Buffer.concat([bytes(0x89, 0x7e, 0x00, 0x7e), Buffer.alloc(126)]);
  const cases: { name: string; wire: Buffer; options?: FrameParserOptions; code: string }[] = [
    { name: 'reserved data opcode 3', wire: bytes(0x83, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'reserved control opcode 0xB', wire: bytes(0x8b, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a fragmented ping', wire: bytes(0x09, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a 126-byte ping', wire: ping126, code: 'WS_PROTOCOL_ERROR' },
    { name: 'a close frame with one payload byte', wire: bytes(0x88, 0x01, 0x03), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a continuation with no message open', wire: bytes(0x80, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a text frame inside a fragmented text message', wire: bytes(0x01, 0x00, 0x81, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a binary frame inside a fragmented text message', wire: bytes(0x01, 0x00, 0x82, 0x00), code: 'WS_PROTOCOL_ERROR' },
    { name: 'an unmasked frame where masking is required', wire: bytes(0x81, 0x00), options: { masked: true }, code: 'WS_PROTOCOL_ERROR' },
    { name: 'a masked frame where masking is forbidden', wire: bytes(0x81, 0x80, 1, 2, 3, 4), options: { masked: false }, code: 'WS_PROTOCOL_ERROR' },
    { name: 'a 64-bit length with its top bit set', wire: bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0), code: 'WS_PROTOCOL_ERROR' },
    { name: 'a frame above maxFrameBytes (before its payload)', wire: bytes(0x82, 0x7e, 0x03, 0xe9), options: { maxFrameBytes: 1000 }, code: 'WS_FRAME_TOO_LARGE' },
    { name: 'a 2^53-byte frame', wire: bytes(0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0), code: 'WS_FRAME_TOO_LARGE' },
  ];

  it.each(cases)('$name: $code, whole or byte by byte, and on every later push', ({ wire, options, code }) => {
    for (const chunks of [[wire], [...wire].map((b) => bytes(b))]) {
      const parser = new FrameParser(options ?? {});
      const error = errorOf(chunks, options ?? {});
      expect(error?.code).toBe(code);
      expect(() => {
        for (const chunk of chunks) parser.push(chunk);
      }).toThrow(WsFrameError);
      expect(() => parser.push(bytes(0x81, 0x00))).toThrow(error!.message);
    }
  });

  it('suggests a close code per failure', () => {
    expect(new WsFrameError('WS_PROTOCOL_ERROR', 'x').closeCode).toBe(1002);
    expect(new WsFrameError('WS_COMPRESSED_FRAME', 'x').closeCode).toBe(1008);
    expect(new WsFrameError('WS_FRAME_TOO_LARGE', 'x').closeCode).toBe(1009);
  });

  it('accepts control frames between the fragments of a message, and RSV bits as reported', () => {
    const wire = bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x89, 0x00, 0x8a, 0x01, 0x21, 0xc0, 0x02, 0x6c, 0x6f);
    const frames = readFrames([wire]);
    expect(frames.map((f) => [f.opcode, f.fin, f.rsv1, f.payload.toString()])).toEqual([
      [OPCODE.text, false, false, 'Hel'],
      [OPCODE.ping, true, false, ''],
      [OPCODE.pong, true, false, '!'],
      [OPCODE.continuation, true, true, 'lo'],
    ]);
  });
});

describe('streaming', () => {
  it('hands on payload bytes as they arrive, never a whole frame at once', () => {
    const payload = filled(1024 * 1024, 3);
    const wire = serializeFrame({ fin: true, opcode: OPCODE.binary, payload }, true);
    const parser = new FrameParser({ masked: true });
    const first = parser.push(wire.subarray(0, 3)); // a header cut after its second byte
    expect(first).toEqual([]);
    const events = parser.push(wire.subarray(3, 500_000));
    expect(events.map((e) => e.type)).toEqual(['header', 'payload']);
    expect(events[1]!.type === 'payload' && events[1]!.bytes.length).toBe(500_000 - 14);
    expect(parser.atFrameBoundary).toBe(false);
    expect(parser.push(wire.subarray(500_000)).map((e) => e.type)).toEqual(['payload', 'end']);
    expect(parser.atFrameBoundary).toBe(true);
  });

  it('readFrames refuses input that ends inside a frame', () => {
    expect(() => readFrames([bytes(0x81, 0x05, 0x48)])).toThrow(WsFrameError);
  });
});

describe('closeFrame', () => {
  it.each([
    { code: 1000, reason: 'bye', masked: false },
    { code: 1008, reason: 'secret blocked', masked: true },
    { code: 1008, reason: 'é'.repeat(100), masked: true },
    { code: 1001, reason: 'x'.repeat(300), masked: false },
  ])('$code with a reason of $reason.length characters, masked $masked', ({ code, reason, masked }) => {
    const [frame] = readFrames([closeFrame(code, reason, masked)], { masked });
    expect(frame!.opcode).toBe(OPCODE.close);
    expect(frame!.payload.length).toBeLessThanOrEqual(125);
    expect(frame!.payload.readUInt16BE(0)).toBe(code);
    const text = frame!.payload.subarray(2).toString('utf8');
    expect(reason.startsWith(text)).toBe(true);
    expect(Buffer.from(text, 'utf8')).toEqual(frame!.payload.subarray(2)); // cut at a character boundary
  });
});

// ---- round trip property ---------------------------------------------------------------------------

const payloadArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 125 }).map((a) => Buffer.from(a)) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 126, max: 65535 }), fc.nat()).map(([n, seed]) => filled(n, seed)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 65536, max: 70_000 }), fc.nat()).map(([n, seed]) => filled(n, seed)) },
);
const rsvArb = fc.record({ rsv1: fc.boolean(), rsv2: fc.boolean(), rsv3: fc.boolean() });
const controlArb: fc.Arbitrary<Frame> = fc
  .tuple(fc.constantFrom(OPCODE.close, OPCODE.ping, OPCODE.pong), fc.uint8Array({ maxLength: 125 }), rsvArb)
  .map(([opcode, data, rsv]) => ({ fin: true, opcode, payload: opcode === OPCODE.close && data.length === 1 ? Buffer.alloc(0) : Buffer.from(data), ...rsv }));

/** A data message in 1-4 fragments, control frames possibly between them; or a lone control frame. */
function messageArb(payload: fc.Arbitrary<Buffer>): fc.Arbitrary<Frame[]> {
  const fragmentArb = fc.tuple(payload, rsvArb, fc.array(controlArb, { maxLength: 2 }));
  return fc.oneof(
    controlArb.map((frame) => [frame]),
    fc.tuple(fc.constantFrom(OPCODE.text, OPCODE.binary), fc.array(fragmentArb, { minLength: 1, maxLength: 4 })).map(([opcode, fragments]) =>
      fragments.flatMap(([data, rsv, controls], i) => {
        const last = i === fragments.length - 1;
        const frame: Frame = { fin: last, opcode: i === 0 ? opcode : OPCODE.continuation, payload: data, ...rsv };
        return last ? [frame] : [frame, ...controls];
      }),
    ),
  );
}

describe('round trip', () => {
  it('any frame sequence, cut at any chunk boundaries, parses back to the same frames', () => {
    fc.assert(
      fc.property(fc.array(messageArb(payloadArb), { maxLength: 6 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 40 }), (messages, masked, cuts) => {
        const frames = messages.flat();
        const wire = Buffer.concat(frames.map((frame) => serializeFrame(frame, masked)));
        expect(comparable(readFrames(splitAt(wire, cuts), { masked }))).toEqual(comparable(frames.map((frame) => expected(frame, masked))));
      }),
      { numRuns: 200 },
    );
  });

  it('one byte at a time as well', () => {
    const smallPayloadArb = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(messageArb(smallPayloadArb), { maxLength: 4 }), fc.boolean(), (messages, masked) => {
        const frames = messages.flat();
        const wire = Buffer.concat(frames.map((frame) => serializeFrame(frame, masked)));
        expect(comparable(readFrames([...wire].map((b) => bytes(b)), { masked }))).toEqual(comparable(frames.map((frame) => expected(frame, masked))));
      }),
      { numRuns: 100 },
    );
  });
});
