/**
 * Every line the process writes (audit events, process logs) passes through the secret scanner before
 * it leaves: raw text, JSON-escaped (`\/`, `\u00XX`) and percent-encoded forms. Spans are widened to
 * whole escapes, so a JSON line stays valid JSON with `[REDACTED:<kind>]` in place of each secret.
 */
import { redactEncoded, type Scanner } from '../scanning/index.js';

export type LineScrubber = (line: string) => string;

/** `onRedaction` hears each redaction's token kind (telemetry counts redactions in logs by kind). */
export function createLineScrubber(scanner: Scanner, onRedaction?: (kind: string) => void): LineScrubber {
  return (line) => {
    const input = Buffer.from(line, 'utf8');
    const { output, findings } = redactEncoded(scanner, input, { json: true, percent: true });
    if (findings.length === 0) return line;
    if (onRedaction) for (const finding of findings) onRedaction(finding.kind);
    return output.toString('utf8');
  };
}
