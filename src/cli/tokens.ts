/**
 * `mcp-egress tokens [-c FILE] [--json]`: lists the token inventory the proxy keeps in its data dir
 * (`tokens.json`): per credential fingerprint, its kind, hint, use count, first and last use, and the
 * tools, principals and hosts that used it. Read-only: a corrupt file is reported, not moved aside
 * (that is the proxy's job at start). The inventory holds no token values, so neither does the output.
 */
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { readTokenInventory, TOKENS_FILE, TokensFileError } from '../state/token-inventory-store.js';
import { shortFingerprint } from '../tokens/inventory.js';
import type { TokenRecord } from '../tokens/signals.js';
import { loadConfigOrReport } from './load-config.js';

/** Names shown per cell in the table; the rest are counted (`+3`). --json has them all. */
const NAMES_PER_CELL = 3;
const HEADER = ['FINGERPRINT', 'KIND', 'HINT', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'TOOLS', 'PRINCIPALS', 'HOSTS'] as const;

export async function runTokens(options: { config?: string; json?: boolean }, out: Writable = process.stdout): Promise<number> {
  const config = loadConfigOrReport(options.config);
  if (config === null) return 1;
  let records: TokenRecord[];
  try {
    records = readTokenInventory(config.dataDir);
  } catch (error) {
    const detail = error instanceof TokensFileError ? error.message : `cannot read ${join(config.dataDir, TOKENS_FILE)}`;
    process.stderr.write(`mcp-egress tokens: ${detail}\n`);
    return 1;
  }
  records.sort((a, b) => Date.parse(b.last_seen) - Date.parse(a.last_seen));
  if (options.json === true) {
    out.write(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  if (records.length === 0) {
    out.write(`no tokens recorded yet in ${join(config.dataDir, TOKENS_FILE)}\n`);
    return 0;
  }
  out.write(renderTable(records.map(rowOf)));
  return 0;
}

function rowOf(record: TokenRecord): string[] {
  return [
    shortFingerprint(record.fingerprint),
    record.kind,
    record.hint ?? '-',
    String(record.count),
    shortTime(record.first_seen),
    shortTime(record.last_seen),
    cell(record.tools),
    cell(record.principals),
    cell(record.hosts),
  ].map(printable);
}

function cell(names: readonly string[]): string {
  if (names.length === 0) return '-';
  const more = names.length > NAMES_PER_CELL ? ` +${names.length - NAMES_PER_CELL}` : '';
  return `${names.slice(0, NAMES_PER_CELL).join(',')}${more}`;
}

/** `2025-03-04T05:06:07Z`: seconds are enough for a listing. */
function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

/** Hosts and hints came off the network once: no control character reaches the terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function renderTable(rows: readonly string[][]): string {
  const all = [[...HEADER], ...rows];
  const widths = HEADER.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) => row.map((value, column) => value.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return `${all.map(line).join('\n')}\n`;
}
