/**
 * Every line the process writes (audit events, process logs) passes through the secret scanner before
 * it leaves: raw text, JSON-escaped (`\/`, `\u00XX`) and percent-encoded forms. Spans are widened to
 * whole escapes, so a JSON line stays valid JSON with `[REDACTED:<kind>]` in place of each secret.
 *
 * The scanner reads UTF-8 bytes. A caller that already holds them (the audit log encodes each line once,
 * for the scanner, the chain hash and the file together) uses `utf8`; a string is encoded into one reused
 * scratch buffer rather than a fresh Buffer per line. Neither path keeps its input: the scanner holds
 * nothing once it returns, a clean line is returned as it was given, and a redacted one is a new buffer
 * (applyRedactions copies), decoded before onRedaction can run (and perhaps log, through this scrubber).
 */
import { redactEncoded, type Scanner } from '../scanning/index.js';

export interface LineScrubber {
  (line: string): string;
  /**
   * The same scrub for a line's UTF-8 bytes, read in place: null when nothing was redacted, else the
   * redacted line's bytes (a new buffer). Optional: a plain string scrubber is a LineScrubber too.
   */
  readonly utf8?: (line: Buffer) => Buffer | null;
}

/** A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4): 3 × length always fits. */
const MAX_BYTES_PER_UNIT = 3;
/** Lines up to this many bytes reuse the scratch buffer; longer ones (rare) get their own. */
const MAX_SCRATCH_BYTES = 256 * 1024;
const INITIAL_SCRATCH_BYTES = 16 * 1024;

/** `onRedaction` hears each redaction's token kind (telemetry counts redactions in logs by kind). */
export function createLineScrubber(scanner: Scanner, onRedaction?: (kind: string) => void): LineScrubber & { readonly utf8: (line: Buffer) => Buffer | null } {
  let scratch = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);
  const encode = (line: string): Buffer => {
    const bound = line.length * MAX_BYTES_PER_UNIT;
    if (bound > MAX_SCRATCH_BYTES) return Buffer.from(line, 'utf8');
    if (bound > scratch.length) scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH_BYTES, Math.max(bound, scratch.length * 2)));
    return scratch.subarray(0, scratch.write(line, 0));
  };
  const report = (findings: readonly { readonly kind: string }[]): void => {
    if (onRedaction) for (const finding of findings) onRedaction(finding.kind);
  };
  const utf8 = (line: Buffer): Buffer | null => {
    const { output, findings } = redactEncoded(scanner, line, { json: true, percent: true });
    if (findings.length === 0) return null;
    report(findings);
    return output;
  };
  const scrub = (line: string): string => {
    const { output, findings } = redactEncoded(scanner, encode(line), { json: true, percent: true });
    if (findings.length === 0) return line;
    const redacted = output.toString('utf8');
    report(findings);
    return redacted;
  };
  return Object.assign(scrub, { utf8 });
}
