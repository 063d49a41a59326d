/**
 * `npm run bench:redact`: secret-scanning throughput on a ~10 MB mixed corpus generated in memory (GitHub-API
 * JSON, MCP JSON-RPC, log lines, HTTP headers, npm metadata, a few hundred planted secrets), with the full
 * catalogue in patterns/. Measured in one run, beside each other (medians of ROUNDS, MiB/s of input):
 *   engine: whole buffer (scan, redact), stream redactor (64 KiB chunks), ~1 KB events (scan, redact);
 *   the prefilter pass alone (Aho-Corasick DFA), and an RE2 alternation of all keywords for comparison;
 *   (a) one RE2 per rule over the whole input; (b) one JS RegExp per rule (RE2 source translated naively,
 *   rules JS cannot compile skipped), in a worker on a 1 MiB slice under a deadline, since a backtracking
 *   engine may never finish.
 * Never a pass/fail on timings. Knobs (env): CORPUS_MB=10 ROUNDS=5 JS_SLICE_MB=1 JS_DEADLINE_S=120, PATTERNS=<dir>
 * (another catalogue, e.g. a copy with one rule rewritten, to measure what a rule costs).
 */
import { Worker } from 'node:worker_threads';
import RE2 from 're2';
import { KeywordAutomaton } from '../src/scanning/keyword-automaton.js';
import { base62Crc32, createScanner, loadCatalogue, StreamRedactor, type Scanner } from '../src/scanning/index.js';
import { prng } from './lib/prng.js';

const MiB = 1024 * 1024;
const CORPUS_BYTES = Number(process.env.CORPUS_MB ?? 10) * MiB;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const JS_SLICE_BYTES = Number(process.env.JS_SLICE_MB ?? 1) * MiB;
const JS_DEADLINE_MS = Number(process.env.JS_DEADLINE_S ?? 120) * 1000;

// Deterministic PRNG: the same corpus on every run.
const random = prng(20260418);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chars = (alphabet: string, n: number): string => Array.from({ length: n }, () => pick([...alphabet])).join('');
const HEX = '0123456789abcdef';
const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const uuid = (): string => `${chars(HEX, 8)}-${chars(HEX, 4)}-4${chars(HEX, 3)}-a${chars(HEX, 3)}-${chars(HEX, 12)}`;
const b64url = (value: string): string => Buffer.from(value).toString('base64url');

const PLANTED: (() => string)[] = [
  () => {
    const body = chars(B62, 30);
    return `ghp_${body}${base62Crc32(body)}`;
  },
  () => `AKIA${chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`,
  () => `xoxb-${chars('0123456789', 12)}-${chars('0123456789', 13)}-${chars(B62, 24)}`,
  () => `glpat-${chars(B62, 20)}`,
  () => `sk_live_${chars(B62, 24)}`,
  () => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(`{"sub":"${uuid()}","exp":1775126400}`)}.${chars(B62, 43)}`,
  () => `-----BEGIN RSA PRIVATE KEY-----\\n${Array.from({ length: 12 }, () => chars(B62 + '+/', 64)).join('\\n')}\\n-----END RSA PRIVATE KEY-----`,
];

type Shape = (secret: string | undefined) => string;

function record(): Shape[] {
  const sha = chars(HEX, 40);
  return [
    (secret) => JSON.stringify({ sha, node_id: `C_kwDOKyZ${chars(B62, 26)}`, commit: { message: secret === undefined ? 'Fix token refresh race' : `rotate ${secret}`, tree: { sha: chars(HEX, 40) } }, url: `https://api.github.com/repos/octo-org/widget-service/commits/${sha}`, parents: [{ sha: chars(HEX, 40) }] }),
    (secret) => JSON.stringify({ jsonrpc: '2.0', id: Math.floor(random() * 1e6), result: { content: [{ type: 'text', text: `File src/app.ts at ${sha}; ETag "${chars(HEX, 32)}"; request ${uuid()}${secret === undefined ? '' : `; env GITHUB_TOKEN=${secret}`}` }], isError: false } }),
    (secret) => `{"level":30,"time":${1775122000000 + Math.floor(random() * 1e6)},"reqId":"req-${chars(B62, 6)}","trace_id":"${chars(HEX, 32)}","msg":"request completed","url":"/v2/widgets/${uuid()}?page=2"${secret === undefined ? '' : `,"auth":"Bearer ${secret}"`},"responseTime":${(random() * 90).toFixed(3)}}`,
    (secret) => `HTTP/1.1 200 OK\r\nETag: W/"${chars(HEX, 64)}"\r\nX-GitHub-Request-Id: ${chars(HEX, 4).toUpperCase()}:${chars(HEX, 8).toUpperCase()}\r\ntraceparent: 00-${chars(HEX, 32)}-${chars(HEX, 16)}-01\r\n${secret === undefined ? '' : `Authorization: token ${secret}\r\n`}Content-Type: application/json\r\n`,
    (secret) => JSON.stringify({ name: 'widget-client', version: '4.21.2', dist: { integrity: `sha512-${Buffer.from(chars(B62, 64)).toString('base64')}`, shasum: sha, tarball: 'https://registry.npmjs.org/widget-client/-/widget-client-4.21.2.tgz' }, gitHead: sha, readme: secret === undefined ? 'Set WIDGET_API_TOKEN=<your-token>.' : `api_key = "${secret}"` }),
  ];
}

/** An event of ~1 KB: a few records of one stream glued together; at most one carries the secret. */
function event(secret: string | undefined): string {
  const parts = [pick(record())(secret)];
  while (parts.join('\n').length < 700 + random() * 600) parts.push(pick(record().slice(0, 4))(undefined));
  return parts.join('\n');
}

function corpus(): { whole: Buffer; events: Buffer[]; planted: string[] } {
  const events: Buffer[] = [];
  const planted: string[] = [];
  let bytes = 0;
  while (bytes < CORPUS_BYTES) {
    const secret = random() < 0.03 ? pick(PLANTED)() : undefined;
    if (secret !== undefined) planted.push(secret);
    const buffer = Buffer.from(`${event(secret)}\n`);
    events.push(buffer);
    bytes += buffer.length;
  }
  return { whole: Buffer.concat(events), events, planted };
}

/** Planted secrets still present after redaction, by their first 8 characters (the format prefix). */
function survivors(output: Buffer, planted: readonly string[]): string {
  const text = output.toString('utf8');
  const byPrefix = new Map<string, number>();
  for (const secret of planted) if (text.includes(secret)) byPrefix.set(secret.slice(0, 8), (byPrefix.get(secret.slice(0, 8)) ?? 0) + 1);
  return [...byPrefix].map(([prefix, n]) => `${prefix}… ${n}`).join(', ') || 'none';
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** MiB/s of `bytes` processed by `run`, median over `rounds`; `run` returns a count shown beside it. */
function measure(bytes: number, rounds: number, run: () => number): { mibps: number; count: number } {
  let count = 0;
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    count = run();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(bytes / MiB / seconds);
  }
  return { mibps: median(rates), count };
}

function streamed(scanner: Scanner, input: Buffer): number {
  let findings = 0;
  const redactor = new StreamRedactor(scanner, { onFinding: () => (findings += 1) });
  for (let at = 0; at < input.length; at += 64 * 1024) redactor.push(input.subarray(at, at + 64 * 1024));
  redactor.end();
  return findings;
}

function perRuleRe2(scanner: Scanner, input: Buffer): number {
  let matches = 0;
  for (const rule of scanner.rules) {
    const regex = new RE2(rule.regex.source, 'g');
    while (regex.exec(input) !== null) matches += 1;
  }
  return matches;
}

/** RE2 -> JS, naively: a leading `(?i)` becomes the `i` flag, `(?P<` becomes `(?<`; anything else JS refuses is skipped. */
function jsRegexSources(scanner: Scanner): { source: string; flags: string }[] {
  return scanner.rules.flatMap((rule) => {
    const caseless = rule.regex.source.startsWith('(?i)');
    const source = (caseless ? rule.regex.source.slice(4) : rule.regex.source).replaceAll('(?P<', '(?<');
    try {
      new RegExp(source, caseless ? 'gi' : 'g');
      return [{ source, flags: caseless ? 'gi' : 'g' }];
    } catch {
      return [];
    }
  });
}

const JS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const text = workerData.text;
for (const { source, flags } of workerData.rules) {
  const regex = new RegExp(source, flags);
  const start = performance.now();
  let matches = 0;
  for (const _ of text.matchAll(regex)) matches += 1;
  parentPort.postMessage({ ms: performance.now() - start, matches });
}
parentPort.postMessage({ done: true });
`;

function perRuleJs(rules: readonly { source: string; flags: string }[], text: string): Promise<{ ms: number; measured: number; finished: boolean }> {
  return new Promise((resolve) => {
    const worker = new Worker(JS_WORKER, { eval: true, workerData: { text, rules } });
    let ms = 0;
    let measured = 0;
    const deadline = setTimeout(() => {
      void worker.terminate();
      resolve({ ms: JS_DEADLINE_MS, measured, finished: false });
    }, JS_DEADLINE_MS);
    worker.on('message', (message: { ms?: number; done?: boolean }) => {
      if (message.done === true) {
        clearTimeout(deadline);
        void worker.terminate();
        resolve({ ms, measured, finished: true });
      } else {
        ms += message.ms ?? 0;
        measured += 1;
      }
    });
  });
}

async function main(): Promise<void> {
  const scanner = createScanner(process.env.PATTERNS === undefined ? loadCatalogue() : loadCatalogue(process.env.PATTERNS));
  const keywords = [...new Set(scanner.rules.flatMap((rule) => rule.keywords.map((k) => k.toLowerCase())))];
  const automaton = KeywordAutomaton.compile(keywords);
  const alternation = new RE2(keywords.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  const { whole, events, planted } = corpus();
  process.stderr.write(`corpus: ${(whole.length / MiB).toFixed(1)} MiB, ${events.length} events, ${planted.length} planted secrets; ${scanner.rules.length} rules, ${keywords.length} keywords, tail ${scanner.tailBytes} B\n`);
  const rows: [string, { mibps: number; count: number }, string][] = [];
  const add = (name: string, result: { mibps: number; count: number }, unit: string): void => {
    rows.push([name, result, unit]);
    process.stderr.write(`  ${name}: ${result.mibps.toFixed(1)} MiB/s\n`);
  };
  add('engine scan, whole buffer', measure(whole.length, ROUNDS, () => scanner.scan(whole).length), 'findings');
  add('engine redact, whole buffer', measure(whole.length, ROUNDS, () => scanner.redact(whole).findings.length), 'findings');
  add('engine stream redactor, 64 KiB chunks', measure(whole.length, ROUNDS, () => streamed(scanner, whole)), 'findings');
  add('engine scan, ~1 KB events', measure(whole.length, ROUNDS, () => events.reduce((n, e) => n + scanner.scan(e).length, 0)), 'findings');
  add('engine redact, ~1 KB events', measure(whole.length, ROUNDS, () => events.reduce((n, e) => n + scanner.redact(e).findings.length, 0)), 'findings');
  add('prefilter alone (Aho-Corasick DFA)', measure(whole.length, ROUNDS, () => automaton.findAll(whole).keywords.length), 'keyword hits');
  add('prefilter alternative: RE2 keyword alternation', measure(whole.length, ROUNDS, () => {
    let hits = 0;
    alternation.lastIndex = 0;
    while (alternation.exec(whole) !== null) hits += 1;
    return hits;
  }), 'hits (no overlaps)');
  add('(a) one RE2 per rule, whole buffer', measure(whole.length, 1, () => perRuleRe2(scanner, whole)), 'raw matches');
  const jsRules = jsRegexSources(scanner);
  const slice = whole.subarray(0, JS_SLICE_BYTES).toString('utf8');
  const js = await perRuleJs(jsRules, slice);
  const jsRate = js.finished ? slice.length / MiB / (js.ms / 1000) : Number.NaN;
  add(`(b) one JS RegExp per rule, ${(slice.length / MiB).toFixed(0)} MiB slice`, { mibps: jsRate, count: js.measured }, `of ${jsRules.length} JS-compilable rules (${scanner.rules.length - jsRules.length} skipped)${js.finished ? '' : `; DEADLINE ${JS_DEADLINE_MS / 1000}s hit`}`);
  const engine = rows[0]![1].mibps;
  process.stdout.write(`\n| measurement | MiB/s | vs (a) | count |\n| --- | ---: | ---: | --- |\n`);
  const perRule = rows.find(([name]) => name.startsWith('(a)'))![1].mibps;
  for (const [name, result, unit] of rows) process.stdout.write(`| ${name} | ${Number.isNaN(result.mibps) ? 'n/a' : result.mibps.toFixed(1)} | ${Number.isNaN(result.mibps) ? '' : `${(result.mibps / perRule).toFixed(1)}x`} | ${result.count} ${unit} |\n`);
  process.stdout.write(`\nplanted secrets: ${planted.length}; surviving redaction: ${survivors(scanner.redact(whole).output, planted)}\n`);
  process.stdout.write(`engine whole-buffer vs per-rule RE2: ${(engine / perRule).toFixed(1)}x (bar: >= 100 MiB/s in both modes, >= 30x per-rule RE2)\n`);
}

await main();
