/**
 * Catalogue problems as data. Every problem names the file and the key path it is about
 * (`patterns/github.yaml: rules[3].keywords: ...`), and all problems are reported together so one
 * start-up shows everything to fix. Messages quote rule data (ids, regex syntax), never scanned input.
 */

export const PATTERNS_INVALID = 'patterns_invalid';

export interface PatternProblem {
  /** The file as shown to the operator, e.g. `patterns/github.yaml`; the directory for whole-catalogue problems. */
  readonly file: string;
  /** Key path such as `rules[3].keywords`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** 1-based line, when the problem points at YAML text. */
  readonly line?: number;
}

export class PatternCatalogueError extends Error {
  override readonly name = 'PatternCatalogueError';
  readonly code = PATTERNS_INVALID;

  constructor(
    readonly problems: readonly PatternProblem[],
    /** The patterns directory, absolute. */
    readonly directory: string,
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`Invalid secret pattern catalogue in ${directory} (${count}):`, ...problems.map((p) => `  ${formatProblem(p)}`)].join('\n'));
  }
}

export function formatProblem(problem: PatternProblem): string {
  const line = problem.line === undefined ? '' : ` (line ${problem.line})`;
  const where = problem.path === '' ? `${problem.file}${line}` : `${problem.file}: ${problem.path}${line}`;
  return `${where}: ${problem.message}`;
}

/** `['rules', 3, 'keywords']` -> `rules[3].keywords`. */
export function formatKeyPath(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}
