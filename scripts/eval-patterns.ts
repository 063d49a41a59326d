/**
 * `npm run eval:patterns [-- --patterns DIR --files N]`: how well the catalogue does, through the full
 * engine. Not part of `npm test` (a user's clone has no ../shared).
 *
 * 1. Recall on the gitleaks regression corpus (../shared/corpora/gitleaks-cases.jsonl): a `secret` case
 *    counts as found when any finding lies in its text; misses are broken down by gitleaks rule.
 * 2. False positives on its rule-scoped `clean` cases (those without also_matched_by_gitleaks).
 * 3. False redactions on clean traffic from this machine: package.json and *.md files under
 *    node_modules, the lockfile, and test/fixtures/clean-traffic/ — each with rule id, file and 40
 *    characters of context, the matched part masked.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createScanner, findEncodedMatches, loadCatalogue, type Scanner } from '../src/scanning/index.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CORPUS = join(REPO, '..', 'shared', 'corpora', 'gitleaks-cases.jsonl');
const MAX_FILE_BYTES = 2 * 1024 * 1024;

interface Case {
  readonly rule: string;
  readonly text: string;
  readonly expect: 'secret' | 'clean';
  readonly also_matched_by_gitleaks?: unknown;
}

interface RuleTally {
  secrets: number;
  found: number;
  viaDecodedView: number;
  clean: number;
  flagged: number;
  misses: string[];
  flaggedBy: string[];
}

const { values: args } = parseArgs({ options: { patterns: { type: 'string' }, files: { type: 'string', default: '4000' }, show: { type: 'string', default: '2' } } });
const scanner = createScanner(args.patterns === undefined ? loadCatalogue() : loadCatalogue(args.patterns));
const show = Number(args.show);

function loadCorpus(): Case[] {
  if (!existsSync(CORPUS)) {
    process.stderr.write(`eval:patterns: the regression corpus is not here: ${CORPUS}\n(it lives next to the repository, in ../shared/corpora/; see the issue "Secret detection and redaction")\n`);
    process.exit(2);
  }
  return readFileSync(CORPUS, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Case);
}

function tallyCorpus(cases: readonly Case[], engine: Scanner): Map<string, RuleTally> {
  const tallies = new Map<string, RuleTally>();
  for (const c of cases) {
    const tally = tallies.get(c.rule) ?? { secrets: 0, found: 0, viaDecodedView: 0, clean: 0, flagged: 0, misses: [], flaggedBy: [] };
    tallies.set(c.rule, tally);
    const input = Buffer.from(c.text, 'utf8');
    const findings = engine.scan(input);
    if (c.expect === 'secret') {
      tally.secrets += 1;
      if (findings.length > 0) tally.found += 1;
      else if (findEncodedMatches(engine, input, { json: true, percent: true }).length > 0) tally.viaDecodedView += 1;
      else tally.misses.push(c.text);
    } else if (c.also_matched_by_gitleaks === undefined) {
      tally.clean += 1;
      if (findings.length > 0) {
        tally.flagged += 1;
        tally.flaggedBy.push(`${findings.map((f) => f.ruleId).join('+')}: ${oneLine(c.text, 100)}`);
      }
    }
  }
  return tallies;
}

const oneLine = (text: string, max: number): string => JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);

function machineFiles(limit: number): string[] {
  const files: string[] = [];
  const lockfile = join(REPO, 'package-lock.json');
  if (existsSync(lockfile)) files.push(lockfile);
  const fixtures = join(REPO, 'test', 'fixtures', 'clean-traffic');
  if (existsSync(fixtures)) files.push(...readdirSync(fixtures).map((name) => join(fixtures, name)));
  const pending = [join(REPO, 'node_modules')];
  while (pending.length > 0 && files.length < limit) {
    const dir = pending.shift()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== '.bin') pending.push(path);
      else if (entry.isFile() && (entry.name === 'package.json' || entry.name.toLowerCase().endsWith('.md'))) files.push(path);
      if (files.length >= limit) break;
    }
  }
  return files;
}

interface FalseRedaction {
  readonly ruleId: string;
  readonly file: string;
  readonly context: string;
}

function scanMachine(files: readonly string[], engine: Scanner): { bytes: number; found: FalseRedaction[] } {
  let bytes = 0;
  const found: FalseRedaction[] = [];
  for (const file of files) {
    if (statSync(file).size > MAX_FILE_BYTES) continue;
    const input = readFileSync(file);
    bytes += input.length;
    for (const finding of engine.mergeMatches(findEncodedMatches(engine, input, { json: true }))) {
      const before = input.subarray(Math.max(0, finding.start - 20), finding.start).toString('utf8');
      const after = input.subarray(finding.end, finding.end + 20).toString('utf8');
      found.push({ ruleId: finding.ruleId, file: relative(REPO, file), context: JSON.stringify(`${before}${'*'.repeat(Math.min(finding.end - finding.start, 12))}${after}`) });
    }
  }
  return { bytes, found };
}

function printCorpus(tallies: ReadonlyMap<string, RuleTally>): { secrets: number; found: number; decoded: number; clean: number; flagged: number } {
  const total = { secrets: 0, found: 0, decoded: 0, clean: 0, flagged: 0 };
  const rows: string[] = [];
  for (const [rule, t] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) {
    total.secrets += t.secrets;
    total.found += t.found;
    total.decoded += t.viaDecodedView;
    total.clean += t.clean;
    total.flagged += t.flagged;
    if (t.misses.length === 0 && t.flagged === 0) continue;
    rows.push(`  ${rule.padEnd(44)} ${`${t.found}/${t.secrets}`.padStart(9)} ${`${t.flagged}/${t.clean}`.padStart(7)}`);
    for (const miss of t.misses.slice(0, show)) rows.push(`      missed: ${oneLine(miss, 110)}`);
    for (const hit of t.flaggedBy.slice(0, show)) rows.push(`      flagged: ${hit}`);
  }
  process.stdout.write(`gitleaks rules with misses or false positives (found/secrets, flagged/clean):\n${rows.join('\n') || '  none'}\n\n`);
  return total;
}

const percent = (part: number, whole: number): string => `${((100 * part) / Math.max(whole, 1)).toFixed(2)}%`;

const corpus = printCorpus(tallyCorpus(loadCorpus(), scanner));
const machine = scanMachine(machineFiles(Number(args.files)), scanner);
process.stdout.write(`false redactions on clean traffic from this machine:\n${machine.found.map((f) => `  ${f.ruleId}  ${f.file}  ${f.context}`).join('\n') || '  none'}\n\n`);
const table = [
  ['catalogue', `${scanner.rules.length} rules in ${new Set(scanner.rules.map((r) => r.family)).size} files`],
  ['corpus recall (secret cases)', `${corpus.found}/${corpus.secrets} = ${percent(corpus.found, corpus.secrets)}`],
  ['  + found only via JSON/percent views', `${corpus.decoded}`],
  ['corpus false positives (clean cases)', `${corpus.flagged}/${corpus.clean}`],
  ['machine clean traffic', `${machine.found.length} false redactions in ${(machine.bytes / 1024 / 1024).toFixed(1)} MiB`],
];
process.stdout.write(`${table.map(([k, v]) => `${k!.padEnd(40)} ${v}`).join('\n')}\n`);
