/**
 * Redaction of JSON Lines (one log event per line) that also catches JSON-escaped secrets: each line is
 * redacted with its decoded view (encoded-redaction.ts), byte-for-byte unchanged outside the redacted
 * spans. Memory stays bounded: a line longer than `maxLineBytes` is not buffered whole; the rest of it
 * goes through the plain stream redactor (raw forms only) until its newline.
 */
import { redactEncoded } from './encoded-redaction.js';
import type { Finding } from './findings.js';
import type { RedactOptions } from './redaction.js';
import type { Scanner } from './scanner.js';
import type { Transform } from 'node:stream';
import { redactorTransform, StreamRedactor, type ChunkRedactor } from './stream-redactor.js';

export interface JsonLinesOptions extends RedactOptions {
  /** Longest line decoded as a whole (default 1 MiB). */
  readonly maxLineBytes?: number;
  /** Called once per finding, with byte offsets counted from the start of the stream. */
  readonly onFinding?: (finding: Finding) => void;
}

const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;

export class JsonLinesRedactor implements ChunkRedactor {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Stream offset where the current line starts, and its length so far. */
  private lineStart = 0;
  private lineBytes = 0;
  /** Set while the rest of an over-long line streams through the plain redactor. */
  private longLine: StreamRedactor | undefined;
  private readonly maxLineBytes: number;

  constructor(
    private readonly scanner: Scanner,
    private readonly options: JsonLinesOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let rest = chunk;
    for (let newline = rest.indexOf(NEWLINE); newline >= 0; newline = rest.indexOf(NEWLINE)) {
      this.append(rest.subarray(0, newline + 1), out);
      this.endLine(out);
      rest = rest.subarray(newline + 1);
    }
    if (rest.length > 0) this.append(rest, out);
    return out;
  }

  end(): Buffer[] {
    const out: Buffer[] = [];
    this.endLine(out);
    return out;
  }

  private append(piece: Buffer, out: Buffer[]): void {
    this.lineBytes += piece.length;
    if (this.longLine !== undefined) {
      out.push(...this.longLine.push(piece));
      return;
    }
    // A copy: the caller may reuse its chunk once push() returns.
    this.pending.push(Buffer.from(piece));
    this.pendingBytes += piece.length;
    if (this.pendingBytes > this.maxLineBytes) {
      const lineStart = this.lineStart;
      this.longLine = new StreamRedactor(this.scanner, { ...this.options, onFinding: (f) => this.report(f, lineStart) });
      out.push(...this.longLine.push(Buffer.concat(this.pending)));
      this.pending = [];
      this.pendingBytes = 0;
    }
  }

  private endLine(out: Buffer[]): void {
    if (this.longLine !== undefined) {
      out.push(...this.longLine.end());
      this.longLine = undefined;
    } else if (this.pendingBytes > 0) {
      const { output, findings } = redactEncoded(this.scanner, Buffer.concat(this.pending), { json: true }, this.options);
      for (const finding of findings) this.report(finding, this.lineStart);
      out.push(output);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.lineStart += this.lineBytes;
    this.lineBytes = 0;
  }

  private report(finding: Finding, lineStart: number): void {
    this.options.onFinding?.({ ...finding, start: finding.start + lineStart, end: finding.end + lineStart });
  }
}

export function createJsonLinesRedactStream(scanner: Scanner, options: JsonLinesOptions = {}): Transform {
  return redactorTransform(new JsonLinesRedactor(scanner, options));
}
