/**
 * The token inventory on disk: `<dataDir>/tokens.json`, `{ "schema": "mcp-egress.tokens/1", "tokens": [...] }`.
 * It holds fingerprints, kinds, hints, counts, times and configured names — never a token value (the
 * inventory never receives one). Replaced atomically (atomic-file.ts), owner-only, and only when the
 * inventory changed. A file that does not parse or validate is moved aside, not fatal: losing history is
 * better than a proxy that will not start; the aside copy keeps it for a human to look at.
 */
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { TokenInventory } from '../tokens/inventory.js';
import { copyTokenRecord, type TokenRecord } from '../tokens/signals.js';
import { replaceFileAtomicSync } from './atomic-file.js';
import { isErrnoCode } from './private-file.js';

export const TOKENS_FILE = 'tokens.json';
export const TOKENS_SCHEMA = 'mcp-egress.tokens/1';
const OWNER_ONLY_FILE = 0o600;
const DEFAULT_INTERVAL_MS = 5000;

// Bounds well above what the inventory writes (names are capped at 32, strings are config names, hosts
// and short hints): a file beyond them was not written by us.
const Name = z.string().min(1).max(1024);
const Names = z.array(Name).max(1024);
const TokenRecordSchema = z.strictObject({
  fingerprint: z.string().regex(/^[a-z0-9-]+:[0-9a-f]{16,128}$/),
  kind: z.string().min(1).max(128),
  hint: z.string().max(128).nullable(),
  first_seen: z.iso.datetime(),
  last_seen: z.iso.datetime(),
  count: z.number().int().nonnegative(),
  tools: Names,
  principals: Names,
  hosts: Names,
});
const TokensFileSchema = z.strictObject({ schema: z.literal(TOKENS_SCHEMA), tokens: z.array(TokenRecordSchema) });

export type TokensFileProblem = 'unreadable' | 'corrupt';

/** The message names the file and the problem, never its contents. */
export class TokensFileError extends Error {
  readonly problem: TokensFileProblem;
  readonly path: string;

  constructor(problem: TokensFileProblem, path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'TokensFileError';
    this.problem = problem;
    this.path = path;
  }
}

/** Reads and validates the file; [] when there is none. Throws TokensFileError; never changes the file. */
export function readTokenInventory(dataDir: string): TokenRecord[] {
  const path = join(dataDir, TOKENS_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return [];
    const code = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? 'error') : 'error';
    throw new TokensFileError('unreadable', path, `cannot be read (${code})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TokensFileError('corrupt', path, 'is not valid JSON');
  }
  const result = TokensFileSchema.safeParse(parsed);
  if (!result.success) {
    const where = result.error.issues[0]?.path.map(String).join('.') ?? '';
    throw new TokensFileError('corrupt', path, `is not a ${TOKENS_SCHEMA} file (first problem at "${where}")`);
  }
  return result.data.tokens;
}

export interface LoadOptions {
  /** Names the moved-aside copy; injectable for tests. */
  readonly now?: Date;
  /** Told when a corrupt file was moved aside (the caller logs it). */
  readonly onCorrupt?: (message: string) => void;
}

/**
 * For start: the stored records, or [] when there are none or the file is corrupt (moved aside to
 * `tokens.json.corrupt-<time>`). A file that cannot be read at all (permissions, a directory) is thrown:
 * moving or overwriting what we cannot read could destroy a good inventory.
 */
export function loadTokenInventory(dataDir: string, options: LoadOptions = {}): TokenRecord[] {
  try {
    return readTokenInventory(dataDir);
  } catch (error) {
    if (!(error instanceof TokensFileError) || error.problem !== 'corrupt') throw error;
    const aside = `${error.path}.corrupt-${compactTime(options.now ?? new Date())}`;
    renameSync(error.path, aside);
    options.onCorrupt?.(`${error.message}; moved aside to ${aside}, starting with an empty token inventory`);
    return [];
  }
}

/** `20250304T050607089Z`: sortable, and no `:` (not allowed in file names everywhere). */
function compactTime(time: Date): string {
  return time.toISOString().replace(/[-:.]/g, '');
}

export function writeTokenInventory(dataDir: string, records: readonly TokenRecord[]): void {
  // One record per line: compact (tens of thousands of records) yet readable and greppable.
  const lines = records.map((record) => JSON.stringify(copyTokenRecord(record)));
  const body = `{"schema":${JSON.stringify(TOKENS_SCHEMA)},"tokens":[${lines.length === 0 ? '' : `\n${lines.join(',\n')}\n`}]}\n`;
  replaceFileAtomicSync(join(dataDir, TOKENS_FILE), body, OWNER_ONLY_FILE);
}

export interface InventoryPersisterOptions {
  readonly dataDir: string;
  readonly inventory: Pick<TokenInventory, 'records' | 'version'>;
  readonly intervalMs?: number;
  /** A save that failed on the timer or at stop (the next tick tries again). Default: one line on stderr. */
  readonly onError?: (error: unknown) => void;
}

export interface InventoryPersister {
  start(): void;
  /** Saves now if the inventory changed since the last save; throws when the write fails. */
  flush(): void;
  /** Stops the timer and saves a last time (errors go to onError). */
  stop(): void;
}

export function createInventoryPersister(options: InventoryPersisterOptions): InventoryPersister {
  const { dataDir, inventory } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const onError = options.onError ?? reportToStderr(dataDir);
  // The version at creation was loaded from the file (or is the empty start): nothing to save yet.
  let saved = inventory.version();
  let timer: NodeJS.Timeout | null = null;

  const flush = (): void => {
    const version = inventory.version();
    if (version === saved) return;
    writeTokenInventory(dataDir, inventory.records());
    saved = version;
  };
  const flushReporting = (): void => {
    try {
      flush();
    } catch (error) {
      onError(error);
    }
  };

  return {
    start() {
      if (timer !== null) return;
      timer = setInterval(flushReporting, intervalMs);
      // The inventory is a convenience: it never keeps the process alive (stop() saves the last state).
      timer.unref();
    },
    flush,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      flushReporting();
    },
  };
}

function reportToStderr(dataDir: string): (error: unknown) => void {
  return (error) => {
    const code = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.name) : 'error';
    process.stderr.write(`mcp-egress: cannot save ${join(dataDir, TOKENS_FILE)} (${code}); will retry\n`);
  };
}
