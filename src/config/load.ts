/**
 * Entry points: load a config file, the embedded default, or text (tests). Each returns a deep-frozen
 * EgressConfig or throws a ConfigError listing every problem found, with its key path and line.
 *
 * Frozen means: plain objects and arrays are Object.freeze()d, and `tools` and `upstream.resolve` are
 * FrozenMaps (ReadonlyMap at the type level, mutators throw at run time).
 */
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import type { EgressConfig } from './types.js';
import { ConfigError, formatKeyPath, type ConfigIssue, type PathIssue } from './errors.js';
import { assembleConfig } from './assemble.js';
import { deepFrozenCopy } from './freeze.js';
import type { Environment } from './environment.js';
import { readSmallRegularFile } from './files.js';

export interface ParseOptions {
  /** Directory that relative paths in the config are resolved against. */
  readonly baseDir: string;
  readonly env: Environment;
  /** Absolute path of the file the text came from, or null. */
  readonly source: string | null;
}

export function loadConfigFile(path: string, env: Environment = process.env): EgressConfig {
  const source = resolve(path);
  return parseConfigText(readConfigText(source), { baseDir: dirname(source), env, source });
}

/** The configuration used when no file is given: report mode, no tools, everything else at its default. */
export function loadEmbeddedDefault(cwd: string, env: Environment = process.env): EgressConfig {
  return configOrThrow({}, { baseDir: cwd, env, source: null }, undefined);
}

export function parseConfigText(text: string, options: ParseOptions): EgressConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  // Warnings (such as an unknown `!tag`) are errors here: a config must mean exactly what it says.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    throw new ConfigError(options.source, yamlProblems.map((problem) => yamlIssue(problem, lines, text)));
  }
  return configOrThrow(documentValue(doc, options.source), options, { doc, lines });
}

interface YamlSource {
  readonly doc: Document;
  readonly lines: LineCounter;
}

function configOrThrow(document: unknown, options: ParseOptions, yaml: YamlSource | undefined): EgressConfig {
  const result = assembleConfig(document, options);
  if (!result.ok) throw new ConfigError(options.source, inFileOrder(result.issues.map((issue) => located(issue, yaml))));
  return deepFrozenCopy(result.config);
}

// A config file is hand-written YAML; a larger file is the wrong file (and must not be read whole).
const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

function readConfigText(source: string): string {
  const read = readSmallRegularFile(source, 'config file', MAX_CONFIG_FILE_BYTES);
  if (!read.ok) throw new ConfigError(source, [{ path: '', message: read.problem }]);
  return read.text;
}

/** The document as plain data; an empty file is an empty mapping, so it means "all defaults". */
function documentValue(doc: Document, source: string | null): unknown {
  try {
    return doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // toJS throws for aliases to missing anchors and for alias expansion beyond maxAliasCount ("billion laughs").
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError(source, [{ path: '', message: `YAML: ${message}` }]);
  }
}

// `listen: [::1]:8080` parses as a flow sequence followed by junk; the YAML message alone does not say why.
const UNQUOTED_BRACKETED_ADDRESS = /:\s*\[[0-9a-fA-F:.]*\]:[0-9]/;

function yamlIssue(problem: YAMLError, lines: LineCounter, text: string): ConfigIssue {
  const { line, col } = lines.linePos(problem.pos[0]);
  const lineText = text.split(/\r?\n/)[line - 1] ?? '';
  const hint = UNQUOTED_BRACKETED_ADDRESS.test(lineText) ? ' (quote bracketed IPv6 addresses: "[::1]:8080")' : '';
  return { path: '', message: `YAML syntax error: ${problem.message}${hint}`, line, column: col };
}

/** Stable sort by line, so schema and environment problems read top to bottom; line-less ones first. */
function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.index - b.index)
    .map(({ issue }) => issue);
}

/** Adds the line of the node a key path points at, or of its nearest ancestor present in the file. */
function located(issue: PathIssue, yaml: YamlSource | undefined): ConfigIssue {
  const path = formatKeyPath(issue.segments);
  if (yaml === undefined || issue.segments.length === 0) return { path, message: issue.message };
  for (let depth = issue.segments.length; depth > 0; depth--) {
    const node: unknown = yaml.doc.getIn(issue.segments.slice(0, depth), true);
    const range = (node as { range?: readonly number[] } | undefined)?.range;
    if (range?.[0] !== undefined) return { path, message: issue.message, line: yaml.lines.linePos(range[0]).line };
  }
  return { path, message: issue.message };
}
