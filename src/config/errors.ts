/**
 * Config problems as data: each names the key path it is about (`tools.reader.allow[0].methods[1]`) and
 * what was expected. All problems are collected and reported together, one per line.
 */
import type { z } from 'zod';

export type KeyPath = readonly PropertyKey[];

export interface ConfigIssue {
  /** Dotted key path such as `tools.reader.allow[0].methods[1]`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
  /** 1-based line in the config file, when the problem points at something written there. */
  readonly line?: number;
  /** 1-based column, for YAML syntax errors. */
  readonly column?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Absolute path of the config file, or null for the embedded default. */
    readonly source: string | null,
    readonly issues: readonly ConfigIssue[],
  ) {
    const where = source ?? 'the embedded default configuration';
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super([`Invalid configuration in ${where} (${count}):`, ...issues.map((issue) => `  ${formatIssue(issue)}`)].join('\n'));
  }
}

/** One printable line, e.g. `tools.reader.mode (line 7): Invalid option: expected one of "enforce"|"report"`. */
export function formatIssue(issue: ConfigIssue): string {
  const column = issue.column === undefined ? '' : `, column ${issue.column}`;
  const position = issue.line === undefined ? '' : `line ${issue.line}${column}`;
  if (issue.path === '') return `${position === '' ? '(document)' : position}: ${issue.message}`;
  return `${issue.path}${position === '' ? '' : ` (${position})`}: ${issue.message}`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['tools', 'ci-bot', 'allow', 0]` -> `tools.ci-bot.allow[0]`; keys with dots or colons are quoted: `resolve["a.test:443"]`. */
export function formatKeyPath(segments: KeyPath): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && PLAIN_KEY.test(segment)) text += text === '' ? segment : `.${segment}`;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

export interface PathIssue {
  readonly segments: KeyPath;
  readonly message: string;
}

/** Flattens zod issues into one issue per offending key: an unknown-keys issue becomes one per key. */
export function issuesFromZod(error: z.ZodError): PathIssue[] {
  return error.issues.flatMap((issue): PathIssue[] => {
    const segments = issue.path as KeyPath;
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ segments: [...segments, key], message: issue.message }));
    }
    return [{ segments, message: issue.message }];
  });
}
