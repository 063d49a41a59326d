/**
 * RFC 6455 framing for the WebSocket scrubber: an incremental parser that streams payloads through and a
 * serializer.
 *
 * The parser holds at most one partial frame header (≤ 14 bytes); payload bytes are handed on as they
 * arrive, as subarrays of the input chunk (still masked when the frame is), so memory stays constant
 * whatever the frame and message sizes. It checks what a relay must rely on: header layout, reserved
 * opcodes, control frame rules (FIN set, ≤ 125 bytes, interleaving inside a fragmented message allowed),
 * continuation order, masking by direction and a frame size cap. RSV bits are reported, not judged:
 * whether an extension may set them is the caller's decision. Payload content (UTF-8, close codes) is
 * left to the endpoints.
 */
import { randomBytes } from 'node:crypto';

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export type WsFrameErrorCode = 'WS_PROTOCOL_ERROR' | 'WS_COMPRESSED_FRAME' | 'WS_FRAME_TOO_LARGE';

/** Close code to send for each failure (1002 protocol error, 1008 policy violation, 1009 message too big). */
const CLOSE_CODES: Readonly<Record<WsFrameErrorCode, number>> = { WS_PROTOCOL_ERROR: 1002, WS_COMPRESSED_FRAME: 1008, WS_FRAME_TOO_LARGE: 1009 };

/** A frame stream that cannot be relayed safely; the messages never carry payload bytes. */
export class WsFrameError extends Error {
  /** The close code that fits, should the caller close the WebSocket politely before cutting it. */
  readonly closeCode: number;

  constructor(
    readonly code: WsFrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WsFrameError';
    this.closeCode = CLOSE_CODES[code];
  }
}

export interface FrameHeader {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  /** The opcode of the message a frame belongs to: a continuation's is the opening frame's (text or binary). */
  readonly messageOpcode: number;
  /** The masking key (4 bytes), null for an unmasked frame. */
  readonly mask: Buffer | null;
  readonly payloadLength: number;
}

export type FrameEvent =
  | { readonly type: 'header'; readonly header: FrameHeader; /** The header as received. */ readonly bytes: Buffer }
  /** Payload bytes as received (masked if the frame is), `offset` bytes into the payload. */
  | { readonly type: 'payload'; readonly header: FrameHeader; readonly bytes: Buffer; readonly offset: number }
  | { readonly type: 'end'; readonly header: FrameHeader };

export interface FrameParserOptions {
  /** Largest payload accepted per frame (default 16 MiB); larger fails with WS_FRAME_TOO_LARGE. */
  readonly maxFrameBytes?: number;
  /** Frames must be masked (sent by a client) or must not be (sent by a server); absent: either. */
  readonly masked?: boolean;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 14;
const MAX_CONTROL_PAYLOAD = 125;

export function isControlOpcode(opcode: number): boolean {
  return opcode >= 0x8;
}

export class FrameParser {
  private readonly head = Buffer.alloc(MAX_HEADER_BYTES);
  private headBytes = 0;
  /** The frame whose payload is streaming, and how much of it has passed. */
  private frame: FrameHeader | null = null;
  private payloadRead = 0;
  /** Text or binary while a fragmented message is open, else 0. */
  private openMessage = 0;
  private failure: WsFrameError | null = null;
  private readonly maxFrameBytes: number;

  constructor(private readonly options: FrameParserOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** True between frames: no header byte or payload byte of an unfinished frame is pending. */
  get atFrameBoundary(): boolean {
    return this.frame === null && this.headBytes === 0;
  }

  /** Events for a chunk, in order. Throws WsFrameError, then again on every later call (the stream is dead). */
  push(chunk: Buffer): FrameEvent[] {
    if (this.failure !== null) throw this.failure;
    const events: FrameEvent[] = [];
    try {
      let at = 0;
      while (at < chunk.length) at = this.frame === null ? this.readHeader(chunk, at, events) : this.readPayload(this.frame, chunk, at, events);
    } catch (error) {
      if (error instanceof WsFrameError) this.failure = error;
      throw error;
    }
    return events;
  }

  private readHeader(chunk: Buffer, at: number, events: FrameEvent[]): number {
    // The first two bytes say how long the header is; until then, read just them.
    const need = this.headBytes < 2 ? 2 : headerLength(this.head);
    const take = Math.min(need - this.headBytes, chunk.length - at);
    chunk.copy(this.head, this.headBytes, at, at + take);
    this.headBytes += take;
    if (this.headBytes >= 2 && this.headBytes === headerLength(this.head)) this.startFrame(events);
    return at + take;
  }

  private startFrame(events: FrameEvent[]): void {
    const header = this.checked(decodeHeader(this.head, this.openMessage));
    events.push({ type: 'header', header, bytes: Buffer.from(this.head.subarray(0, this.headBytes)) });
    this.headBytes = 0;
    if (!isControlOpcode(header.opcode)) this.openMessage = header.fin ? 0 : header.messageOpcode;
    if (header.payloadLength === 0) events.push({ type: 'end', header });
    else {
      this.frame = header;
      this.payloadRead = 0;
    }
  }

  private readPayload(frame: FrameHeader, chunk: Buffer, at: number, events: FrameEvent[]): number {
    const take = Math.min(frame.payloadLength - this.payloadRead, chunk.length - at);
    events.push({ type: 'payload', header: frame, bytes: chunk.subarray(at, at + take), offset: this.payloadRead });
    this.payloadRead += take;
    if (this.payloadRead === frame.payloadLength) {
      events.push({ type: 'end', header: frame });
      this.frame = null;
    }
    return at + take;
  }

  private checked(header: FrameHeader): FrameHeader {
    const { opcode } = header;
    if ((opcode > OPCODE.binary && opcode < OPCODE.close) || opcode > OPCODE.pong) throw protocolError(`reserved opcode ${opcode}`);
    if (isControlOpcode(opcode)) {
      if (!header.fin) throw protocolError('a fragmented control frame');
      if (header.payloadLength > MAX_CONTROL_PAYLOAD) throw protocolError('a control frame longer than 125 bytes');
      if (opcode === OPCODE.close && header.payloadLength === 1) throw protocolError('a close frame with a 1-byte payload');
    } else if (opcode === OPCODE.continuation && this.openMessage === 0) {
      throw protocolError('a continuation frame outside a fragmented message');
    } else if (opcode !== OPCODE.continuation && this.openMessage !== 0) {
      throw protocolError('a new data frame inside a fragmented message');
    }
    if (this.options.masked !== undefined && this.options.masked !== (header.mask !== null)) {
      throw protocolError(this.options.masked ? 'an unmasked frame from a client' : 'a masked frame from a server');
    }
    if (header.payloadLength > this.maxFrameBytes) {
      throw new WsFrameError('WS_FRAME_TOO_LARGE', `a frame of ${header.payloadLength} bytes, above the ${this.maxFrameBytes}-byte limit`);
    }
    return header;
  }
}

function protocolError(what: string): WsFrameError {
  return new WsFrameError('WS_PROTOCOL_ERROR', `WebSocket protocol error: ${what}`);
}

function headerLength(head: Buffer): number {
  const length7 = head[1]! & 0x7f;
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  return 2 + extended + (head[1]! & 0x80 ? 4 : 0);
}

function decodeHeader(head: Buffer, openMessage: number): FrameHeader {
  const first = head[0]!;
  const length7 = head[1]! & 0x7f;
  let payloadLength = length7;
  let at = 2;
  if (length7 === 126) {
    payloadLength = head.readUInt16BE(2);
    at = 4;
  } else if (length7 === 127) {
    const high = head.readUInt32BE(2);
    if (high & 0x80000000) throw protocolError('a 64-bit payload length with its most significant bit set');
    payloadLength = high * 2 ** 32 + head.readUInt32BE(6);
    at = 10;
  }
  const opcode = first & 0x0f;
  return {
    fin: (first & 0x80) !== 0,
    rsv1: (first & 0x40) !== 0,
    rsv2: (first & 0x20) !== 0,
    rsv3: (first & 0x10) !== 0,
    opcode,
    messageOpcode: opcode === OPCODE.continuation ? openMessage : opcode,
    mask: head[1]! & 0x80 ? Buffer.from(head.subarray(at, at + 4)) : null,
    payloadLength,
  };
}

/** `bytes` XORed with the masking key, `offset` bytes into the payload (masking is its own inverse). A copy. */
export function applyMask(bytes: Buffer, mask: Buffer, offset = 0): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  xorInto(bytes, mask, offset, out, 0);
  return out;
}

function xorInto(source: Buffer, mask: Buffer, offset: number, target: Buffer, targetStart: number): void {
  const m0 = mask[offset & 3]!;
  const m1 = mask[(offset + 1) & 3]!;
  const m2 = mask[(offset + 2) & 3]!;
  const m3 = mask[(offset + 3) & 3]!;
  const length = source.length;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    target[targetStart + i] = source[i]! ^ m0;
    target[targetStart + i + 1] = source[i + 1]! ^ m1;
    target[targetStart + i + 2] = source[i + 2]! ^ m2;
    target[targetStart + i + 3] = source[i + 3]! ^ m3;
  }
  for (; i < length; i++) target[targetStart + i] = source[i]! ^ mask[(offset + i) & 3]!;
}

export interface Frame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
  readonly rsv1?: boolean;
  readonly rsv2?: boolean;
  readonly rsv3?: boolean;
}

/**
 * One frame on the wire, with the shortest length encoding. `masked`: client-to-server frames carry a
 * fresh random key each (RFC 6455 §5.3: a predictable key lets a page poison intermediary caches).
 */
export function serializeFrame(frame: Frame, masked: boolean): Buffer {
  const length = frame.payload.length;
  const extended = length < 126 ? 0 : length < 0x10000 ? 2 : 8;
  const headerBytes = 2 + extended + (masked ? 4 : 0);
  const out = Buffer.allocUnsafe(headerBytes + length);
  out[0] = (frame.fin ? 0x80 : 0) | (frame.rsv1 ? 0x40 : 0) | (frame.rsv2 ? 0x20 : 0) | (frame.rsv3 ? 0x10 : 0) | (frame.opcode & 0x0f);
  out[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) out.writeUInt16BE(length, 2);
  if (extended === 8) {
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (!masked) {
    frame.payload.copy(out, headerBytes);
    return out;
  }
  const mask = randomBytes(4);
  mask.copy(out, 2 + extended);
  xorInto(frame.payload, mask, 0, out, headerBytes);
  return out;
}

/** A close frame: the status code, then the reason cut to fit 125 bytes (at a character boundary). */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  let text = Buffer.from(reason, 'utf8');
  if (text.length > MAX_CONTROL_PAYLOAD - 2) {
    let end = MAX_CONTROL_PAYLOAD - 2;
    while (end > 0 && (text[end]! & 0xc0) === 0x80) end--; // do not split a UTF-8 sequence
    text = text.subarray(0, end);
  }
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return serializeFrame({ fin: true, opcode: OPCODE.close, payload }, masked);
}

export interface ReadFrame {
  readonly fin: boolean;
  readonly rsv1: boolean;
  readonly rsv2: boolean;
  readonly rsv3: boolean;
  readonly opcode: number;
  readonly masked: boolean;
  /** Unmasked. */
  readonly payload: Buffer;
}

/** Whole frames out of chunks, payloads unmasked and collected: for tests and diagnostics, not for relaying. */
export function readFrames(chunks: readonly Buffer[], options: FrameParserOptions = {}): ReadFrame[] {
  const parser = new FrameParser(options);
  const frames: ReadFrame[] = [];
  let pieces: Buffer[] = [];
  for (const chunk of chunks) {
    for (const event of parser.push(chunk)) {
      if (event.type === 'payload') pieces.push(event.header.mask ? applyMask(event.bytes, event.header.mask, event.offset) : Buffer.from(event.bytes));
      if (event.type !== 'end') continue;
      const { fin, rsv1, rsv2, rsv3, opcode, mask } = event.header;
      frames.push({ fin, rsv1, rsv2, rsv3, opcode, masked: mask !== null, payload: Buffer.concat(pieces) });
      pieces = [];
    }
  }
  if (!parser.atFrameBoundary) throw protocolError('the input ends inside a frame');
  return frames;
}
