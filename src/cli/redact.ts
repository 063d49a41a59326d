/**
 * `mcp-egress redact [--patterns DIR] [--jsonl] [--stats]`: a stdin -> stdout filter for any log stream
 * (usable as an exec filter in a SIEM forwarder). Streaming and constant memory; exits 0 whenever the
 * stream was filtered, whatever it contained. `--jsonl` also catches JSON-escaped secrets (`\/`,
 * `\u00XX`, `\n` in PEM blocks) by scanning each line's decoded view and mapping spans back, so lines
 * stay byte-identical outside the redacted spans (see src/scanning/encoded-redaction.ts).
 */
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  createJsonLinesRedactStream,
  createRedactStream,
  createScanner,
  loadCatalogue,
  PatternCatalogueError,
  type Finding,
  type Scanner,
} from '../scanning/index.js';

export interface RedactCommandOptions {
  readonly patterns?: string;
  readonly jsonl?: boolean;
  readonly stats?: boolean;
}

export interface RedactIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

const PROCESS_IO: RedactIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

export async function runRedact(options: RedactCommandOptions, io: RedactIo = PROCESS_IO): Promise<number> {
  const scanner = scannerOrReport(options.patterns, io.stderr);
  if (scanner === undefined) return 1;
  const counts = new Map<string, number>();
  const onFinding = (finding: Finding): void => {
    counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
  };
  const filter = options.jsonl === true ? createJsonLinesRedactStream(scanner, { onFinding }) : createRedactStream(scanner, { onFinding });
  try {
    await pipeline(io.stdin, filter, io.stdout);
  } catch (error) {
    // A reader that went away (`| head`) ends the filter normally; anything else is reported without data.
    if (!isBrokenPipe(error)) {
      io.stderr.write(`mcp-egress redact: ${error instanceof Error ? error.message : 'stream failed'}\n`);
      return 1;
    }
  }
  if (options.stats === true) io.stderr.write(statsText(counts));
  return 0;
}

function scannerOrReport(patterns: string | undefined, stderr: Writable): Scanner | undefined {
  try {
    return createScanner(patterns === undefined ? loadCatalogue() : loadCatalogue(patterns));
  } catch (error) {
    if (!(error instanceof PatternCatalogueError)) throw error;
    stderr.write(`${error.message}\n`);
    return undefined;
  }
}

function isBrokenPipe(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EPIPE';
}

/** `redacted 3 secrets` then one `  <kind> <count>` line per kind, most frequent first. */
export function statsText(counts: ReadonlyMap<string, number>): string {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  const lines = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([kind, n]) => `  ${kind} ${n}`);
  return [`redacted ${total} secret${total === 1 ? '' : 's'}`, ...lines].join('\n') + '\n';
}
