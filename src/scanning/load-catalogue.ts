/**
 * Reads and compiles the catalogue once, at start: every `*.yaml` in the patterns directory, validated
 * strictly, ids unique across files, `family` equal to the file name, every regex compiled with RE2.
 * Any problem refuses the whole catalogue (PatternCatalogueError listing all of them): a scanner
 * silently missing one family would be worse than a proxy that does not start.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { patternFileFrameSchema, ruleSchema, type RuleSpec } from './catalogue-schema.js';
import { compileRule, type CompiledRule } from './compile-rule.js';
import { formatKeyPath, PatternCatalogueError, type PatternProblem } from './errors.js';

export interface Catalogue {
  readonly directory: string;
  readonly rules: readonly CompiledRule[];
}

/** The repository's `patterns/`, found from this module so it resolves from both src/ and dist/. */
export function defaultPatternsDirectory(): string {
  return fileURLToPath(new URL('../../patterns/', import.meta.url));
}

// A pattern file is hand-written data; anything larger is the wrong file.
const MAX_PATTERN_FILE_BYTES = 2 * 1024 * 1024;

export function loadCatalogue(directory: string = defaultPatternsDirectory()): Catalogue {
  const files = patternFiles(directory);
  const problems: PatternProblem[] = [];
  const rules: CompiledRule[] = [];
  const firstSeen = new Map<string, string>();
  for (const name of files) {
    const shown = displayName(directory, name);
    const parsed = parseFile(join(directory, name), shown, problems);
    if (parsed === undefined) continue;
    if (parsed.family !== basename(name, '.yaml')) {
      problems.push({ file: shown, path: 'family', message: `"${parsed.family}" must equal the file name "${basename(name, '.yaml')}"` });
    }
    for (const { index, spec } of parsed.rules) {
      const where = `rules[${index}]`;
      const earlier = firstSeen.get(spec.id);
      if (earlier !== undefined) problems.push({ file: shown, path: `${where}.id`, message: `"${spec.id}" is already defined in ${earlier}` });
      firstSeen.set(spec.id, `${shown} ${where}`);
      const result = compileRule(spec, parsed.family, shown);
      if (result.ok) rules.push(result.rule);
      else problems.push(...result.problems.map((p) => ({ file: shown, path: `${where}.${p.key}`, message: p.message })));
    }
  }
  if (problems.length > 0) throw new PatternCatalogueError(problems, resolve(directory));
  return Object.freeze({ directory, rules: Object.freeze(rules) });
}

function patternFiles(directory: string): string[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new PatternCatalogueError([{ file: directory, path: '', message: `cannot read the patterns directory (${reason})` }], directory);
  }
  const yamlFiles = names.filter((name) => name.endsWith('.yaml')).sort();
  if (yamlFiles.length === 0) throw new PatternCatalogueError([{ file: directory, path: '', message: 'no *.yaml pattern files' }], directory);
  return yamlFiles;
}

/** `patterns/github.yaml`: the directory's own name and the file (the error header names the full directory). */
function displayName(directory: string, name: string): string {
  return `${basename(resolve(directory))}/${name}`;
}

interface IndexedRule {
  readonly index: number;
  readonly spec: RuleSpec;
}

/** The family and every rule that passed the schema (with its position); problems of the others are recorded. */
function parseFile(path: string, shown: string, problems: PatternProblem[]): { family: string; rules: IndexedRule[] } | undefined {
  const document = readDocument(path, shown, problems);
  if (document === undefined) return undefined;
  // The file's frame first, then each rule on its own, so one broken rule does not hide the others' problems.
  const frame = patternFileFrameSchema.safeParse(document);
  if (!frame.success) {
    recordIssues(frame.error, [], shown, problems);
    return undefined;
  }
  const rules: IndexedRule[] = [];
  frame.data.rules.forEach((candidate, index) => {
    const rule = ruleSchema.safeParse(candidate);
    if (rule.success) rules.push({ index, spec: rule.data });
    else recordIssues(rule.error, ['rules', index], shown, problems);
  });
  return { family: frame.data.family, rules };
}

function recordIssues(error: z.ZodError, prefix: readonly PropertyKey[], shown: string, problems: PatternProblem[]): void {
  for (const issue of error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const key of keys) problems.push({ file: shown, path: formatKeyPath([...prefix, ...key]), message: issue.message });
  }
}

/** The file as plain data, or undefined with the reason recorded (unreadable, too large, YAML errors). */
function readDocument(path: string, shown: string, problems: PatternProblem[]): unknown {
  const fail = (message: string, line?: number): undefined => {
    problems.push(line === undefined ? { file: shown, path: '', message } : { file: shown, path: '', message, line });
    return undefined;
  };
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return fail(`cannot read the file (${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'})`);
  }
  if (bytes.length > MAX_PATTERN_FILE_BYTES) return fail(`larger than ${MAX_PATTERN_FILE_BYTES} bytes`);
  const lines = new LineCounter();
  const doc = parseDocument(bytes.toString('utf8'), { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  const yamlProblems = [...doc.errors, ...doc.warnings];
  for (const problem of yamlProblems) fail(`YAML: ${problem.message.split('\n')[0] ?? problem.code}`, lines.linePos(problem.pos[0]).line);
  if (yamlProblems.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // toJS throws for aliases to missing anchors and for alias expansion beyond maxAliasCount.
    return fail(`YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}
