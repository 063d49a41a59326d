/**
 * Scrubbing one direction of a WebSocket connection after the upgrade: bytes in, bytes out.
 *
 *   socket ─► FrameParser ─► text message?  ─► redactor (fresh per message) ─► re-framed text ─► socket
 *                          └► binary, control ─────────── as received ──────────────────────┘
 *
 * Text messages (opcode 1 and their continuations) stream through a redactor: the output settled while
 * a chunk was processed goes out as one frame (opcode 1 first, then continuations), at the latest when
 * the chunk is done or before a control frame interleaved in the message, so control frames keep their
 * place; the message's last fragment carries the redactor's end() output and FIN. Frame boundaries of
 * text messages therefore change; their content is the redacted text. Everything else passes as the
 * original bytes, streaming.
 *
 * Scan mode (report, block): the payload must go out unchanged, yet a caller that blocks must learn of a
 * secret before its first byte leaves. So the text is released only as far as the redactor has settled
 * it: identical output is the proof that nothing was found up to there (see scanOnly). A caller that
 * blocks calls abort() synchronously from its onFinding: nothing more leaves this transform, the
 * offending bytes included. Then it sends closeFrame(1008, …) to both sides and destroys them.
 *
 * Failing closed: permessage-deflate frames (RSV1) cannot be scanned, so they fail with
 * WS_COMPRESSED_FRAME (strip the offer with stripExtensionsOffer so none is negotiated); RSV2/RSV3 and
 * malformed frames with WS_PROTOCOL_ERROR; frames above maxFrameBytes with WS_FRAME_TOO_LARGE. The
 * transform emits the error, the caller closes both sides. Input that ends inside a frame or a text
 * message is dropped with the redactor's held tail, which may be the start of a secret.
 *
 * Memory per direction is constant: a partial frame header, one chunk's settled text, the redactor's
 * bounded tail (and in scan mode the same bytes once more, unredacted).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { ChunkRedactor } from '../scanning/stream-redactor.js';
import { applyMask, FrameParser, isControlOpcode, OPCODE, serializeFrame, WsFrameError, type FrameEvent, type FrameHeader } from './websocket-frames.js';

export { closeFrame, WsFrameError, type WsFrameErrorCode } from './websocket-frames.js';

export interface FrameScrubOptions {
  /** Whose frames come in: client-to-server input is masked, and so is what goes out. */
  readonly direction: 'server-to-client' | 'client-to-server';
  /** One per text message; findings are reported by the redactor's own onFinding (the caller wires it). */
  readonly createRedactor: () => ChunkRedactor;
  /** scan: the payload passes unchanged, released only as far as the redactor has settled it. */
  readonly mode: 'redact' | 'scan';
  /** Largest frame payload (default 16 MiB); larger fails with WS_FRAME_TOO_LARGE. */
  readonly maxFrameBytes?: number;
}

export interface FrameScrubber extends Transform {
  /** From now on nothing leaves (not even what this chunk already produced); input is read and dropped. */
  abort(): void;
  readonly aborted: boolean;
}

export function createFrameScrubber(options: FrameScrubOptions): FrameScrubber {
  return new FrameScrubTransform(options);
}

/** The client's upgrade request without `Sec-WebSocket-Extensions`, so no compression is negotiated. */
export function stripExtensionsOffer(rawHeaders: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'sec-websocket-extensions') kept.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return kept;
}

interface TextMessage {
  readonly redactor: ChunkRedactor;
  /** Settled output not framed yet. */
  pending: Buffer[];
  /** A frame of this message went out already: the next one is a continuation. */
  started: boolean;
}

class FrameScrubTransform extends Transform implements FrameScrubber {
  private readonly parser: FrameParser;
  private readonly outputMasked: boolean;
  private message: TextMessage | null = null;
  /** What the current chunk produced; pushed when the chunk is done (dropped if aborted meanwhile). */
  private out: Buffer[] = [];
  private isAborted = false;

  constructor(private readonly options: FrameScrubOptions) {
    super();
    const masked = options.direction === 'client-to-server';
    this.outputMasked = masked;
    this.parser = new FrameParser({ masked, ...(options.maxFrameBytes !== undefined ? { maxFrameBytes: options.maxFrameBytes } : {}) });
  }

  get aborted(): boolean {
    return this.isAborted;
  }

  abort(): void {
    this.isAborted = true;
    this.out = [];
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.isAborted) return callback();
    try {
      for (const event of this.parser.push(chunk)) {
        this.handle(event);
        if (this.isAborted) break;
      }
      this.flushText(false);
    } catch (error) {
      this.out = [];
      return callback(error instanceof Error ? error : new Error(String(error)));
    }
    const out = this.out;
    this.out = [];
    if (!this.isAborted) for (const piece of out) this.push(piece);
    callback();
  }

  private handle(event: FrameEvent): void {
    const { header } = event;
    const isText = header.messageOpcode === OPCODE.text && !isControlOpcode(header.opcode);
    if (event.type === 'header') this.onHeader(header, event.bytes, isText);
    else if (!isText) {
      if (event.type === 'payload') this.out.push(event.bytes);
    } else if (event.type === 'payload') {
      const message = this.currentMessage();
      message.pending.push(...message.redactor.push(header.mask ? applyMask(event.bytes, header.mask, event.offset) : event.bytes));
    } else if (header.fin) {
      const message = this.currentMessage();
      message.pending.push(...message.redactor.end());
      this.flushText(true);
      this.message = null;
    }
  }

  private onHeader(header: FrameHeader, bytes: Buffer, isText: boolean): void {
    if (header.rsv1) throw new WsFrameError('WS_COMPRESSED_FRAME', 'a compressed WebSocket frame (RSV1): its payload cannot be scanned');
    if (header.rsv2 || header.rsv3) throw new WsFrameError('WS_PROTOCOL_ERROR', 'WebSocket protocol error: RSV2 or RSV3 set without a negotiated extension');
    if (isText) {
      if (header.opcode === OPCODE.text) this.message = { redactor: this.newRedactor(), pending: [], started: false };
      return;
    }
    // Text settled before a control frame goes out before it, so the order of the input is kept.
    this.flushText(false);
    this.out.push(bytes);
  }

  private newRedactor(): ChunkRedactor {
    const redactor = this.options.createRedactor();
    return this.options.mode === 'scan' ? scanOnly(redactor) : redactor;
  }

  private currentMessage(): TextMessage {
    // The parser lets no continuation through without its opening frame, which set the message.
    if (this.message === null) throw new WsFrameError('WS_PROTOCOL_ERROR', 'WebSocket protocol error: text continuation without a message');
    return this.message;
  }

  /** Frames the settled text: always at the end of a message, otherwise only when there is some. */
  private flushText(final: boolean): void {
    const message = this.message;
    if (message === null || (!final && message.pending.length === 0)) return;
    const payload = Buffer.concat(message.pending);
    message.pending = [];
    if (!final && payload.length === 0) return;
    this.out.push(serializeFrame({ fin: final, opcode: message.started ? OPCODE.continuation : OPCODE.text, payload }, this.outputMasked));
    message.started = true;
  }
}

/**
 * For scan mode: a ChunkRedactor whose output is its input, released only as far as `redactor` has
 * settled it. While nothing was found, the redactor's output is byte for byte the input it settled, so
 * comparing the two tells how far is safe. Once they differ, a secret was found and reported (the
 * caller decided: a blocking caller aborted; a reporting one lets the rest through), and the input is
 * passed on as it comes, still fed to the redactor so later findings are reported.
 */
export function scanOnly(redactor: ChunkRedactor): ChunkRedactor {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let diverged = false;
  const releaseAll = (): Buffer[] => {
    const all = held;
    held = [];
    heldBytes = 0;
    return all;
  };
  const takeFront = (count: number): Buffer => {
    const all = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    const front = all.subarray(0, count);
    const rest = all.subarray(count);
    held = rest.length > 0 ? [rest] : [];
    heldBytes = rest.length;
    return front;
  };
  const release = (settled: readonly Buffer[]): Buffer[] => {
    const out: Buffer[] = [];
    for (const piece of settled) {
      if (diverged || piece.length === 0) continue;
      if (piece.length <= heldBytes) {
        const front = takeFront(piece.length);
        out.push(front);
        if (front.equals(piece)) continue;
      }
      diverged = true;
      out.push(...releaseAll());
    }
    return out;
  };
  return {
    push(chunk) {
      const settled = redactor.push(chunk);
      if (diverged) return [Buffer.from(chunk)]; // a copy: the caller may reuse its chunk
      held.push(Buffer.from(chunk)); // a copy: the caller may reuse its chunk
      heldBytes += chunk.length;
      return release(settled);
    },
    end() {
      const settled = release(redactor.end());
      return [...settled, ...releaseAll()];
    },
  };
}
