/**
 * Shared test material for the scanning specs: the real catalogue (loaded once per file), small
 * hand-written catalogues in temporary directories, and secret generators that produce values of the
 * real formats (a GitHub token with a valid checksum, a signed-looking JWT, a PEM block).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { base62Crc32, createScanner, loadCatalogue, type Scanner, type ScannerOptions } from '../../../src/scanning/index.js';

export function realScanner(options: ScannerOptions = {}): Scanner {
  return createScanner(loadCatalogue(), options);
}

/** Writes `files` (name -> YAML text) into a fresh directory removed after the test file. */
export function patternsDir(files: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-egress-patterns-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestRule {
  readonly id: string;
  readonly regex: string;
  readonly keywords: readonly string[];
  readonly kind?: string;
  readonly secretGroup?: number;
  readonly maxLength?: number;
  readonly minEntropy?: number;
  readonly validate?: string;
  readonly match?: string;
  readonly noMatch?: string;
  /** Raw YAML lines appended to the rule (for keys the schema must refuse). */
  readonly extraYaml?: string;
}

/** One `<family>.yaml` document with the given rules (examples default to something harmless). */
/** A context rule (provider word, assignment, value with entropy) that several engine tests share. */
export const ACME_CONTEXT_RULE: TestRule = {
  id: 'acme-context-secret',
  kind: 'acme_secret',
  regex: '(?i)acme[\\w.-]{0,10}\\s*[:=]\\s*["\']?([A-Za-z0-9_]{16,32})',
  secretGroup: 1,
  keywords: ['acme'],
  maxLength: 60,
  minEntropy: 3,
};

export function familyYaml(family: string, rules: readonly TestRule[]): string {
  const optional = (key: string, value: unknown): string => (value === undefined ? '' : `    ${key}: ${JSON.stringify(value)}\n`);
  const body = rules
    .map(
      (rule) =>
        `  - id: ${rule.id}\n    description: test rule\n    kind: ${rule.kind ?? rule.id.replaceAll('-', '_')}\n` +
        `    regex: ${JSON.stringify(rule.regex)}\n    keywords: ${JSON.stringify(rule.keywords)}\n    holder: unknown\n` +
        optional('secretGroup', rule.secretGroup) +
        optional('maxLength', rule.maxLength) +
        optional('minEntropy', rule.minEntropy) +
        optional('validate', rule.validate) +
        (rule.extraYaml ?? '') +
        `    examples:\n      match: [${JSON.stringify(rule.match ?? 'x')}]\n      noMatch: [${JSON.stringify(rule.noMatch ?? 'y')}]\n`,
    )
    .join('');
  return `family: ${family}\ndescription: test family\nrules:\n${body}`;
}

export function scannerOf(family: string, rules: readonly TestRule[], options: ScannerOptions = {}): Scanner {
  return createScanner(loadCatalogue(patternsDir({ [`${family}.yaml`]: familyYaml(family, rules) })), options);
}

export const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** `ghp_` + 30 characters + their base62 CRC32, as GitHub issues them. */
export function githubToken(prefix: string, random30: string): string {
  return `${prefix}_${random30}${base62Crc32(random30)}`;
}

export function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

export function jwt(claims: Readonly<Record<string, unknown>>, signature: Buffer): string {
  return `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(claims))}.${base64url(signature)}`;
}

/** A PEM private-key block around `body` (base64 of random bytes, 64-character lines). */
export function pemBlock(label: string, body: Buffer): string {
  const base64 = body.toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < base64.length; at += 64) lines.push(base64.slice(at, at + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`;
}

/** Rules whose secrets hide well in encodings (URL password, JSON field, PEM block): shared by the encoded-forms specs. */
export const ENCODED_FORM_RULES: readonly TestRule[] = [
  { id: 'acme-api-key', kind: 'acme_api_key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'], maxLength: 40 },
  { id: 'acme-url-credential', kind: 'url_password', regex: '://[a-z]{1,20}:([^@/\\s]{6,40})@', secretGroup: 1, keywords: ['://'], maxLength: 80 },
  { id: 'acme-password', kind: 'password', regex: '"acme_password"\\s*:\\s*"([^"\\s]{8,64})', secretGroup: 1, keywords: ['acme_password'], maxLength: 100 },
  { id: 'acme-pem', kind: 'private_key', regex: '-----BEGIN ACME KEY-----\\n[A-Za-z0-9+/=\\n]{8,80}\\n-----END ACME KEY-----', keywords: ['BEGIN ACME KEY'], maxLength: 140 },
  { id: 'acme-chain', kind: 'chain', regex: '(?:abc){1,6}', keywords: ['abc'], maxLength: 18 },
];
