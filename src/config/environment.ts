/**
 * Checks that need the world outside the config text: tool secrets (environment variables or files) and
 * upstream CA bundles. Problems are reported through `report` with the key path they belong to.
 *
 * SECURITY: a secret's value never appears in a message: problems name the variable or file, and the
 * length check says "too short", not how long the secret is.
 */
import { resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { KeyPath } from './errors.js';
import type { SecretSource } from './schema.js';
import { MIN_SECRET_LENGTH } from './default.js';
import { readSmallRegularFile } from './files.js';

export type Environment = Readonly<Record<string, string | undefined>>;
export type ReportIssue = (segments: KeyPath, message: string) => void;

const SHORT_SECRET_REASON =
  `at least ${MIN_SECRET_LENGTH} characters are required: it is a password checked only by a constant-time ` +
  'compare, with no lockout or rate limit, so length is what stops guessing (e.g. `openssl rand -hex 24`)';

/** Which keys name a secret's source, and what to say when it is too short. */
export interface SecretKind {
  readonly envKey: string;
  readonly fileKey: string;
  /** "secret" or "token": in "the <noun> in file X is too short". */
  readonly noun: string;
  readonly shortReason: string;
}

const TOOL_SECRET: SecretKind = { envKey: 'secretEnv', fileKey: 'secretFile', noun: 'secret', shortReason: SHORT_SECRET_REASON };

/** The tool's proxy password, or undefined after reporting why it is unusable. */
export function readToolSecret(
  tool: SecretSource,
  at: KeyPath,
  baseDir: string,
  env: Environment,
  report: ReportIssue,
): string | undefined {
  return readSecret({ env: tool.secretEnv, file: tool.secretFile }, TOOL_SECRET, { at, baseDir, env, report });
}

export interface SecretContext {
  readonly at: KeyPath;
  readonly baseDir: string;
  readonly env: Environment;
  readonly report: ReportIssue;
}

/** A secret from an environment variable or a file (mode 0600), at least MIN_SECRET_LENGTH characters. */
export function readSecret(
  source: { readonly env?: string | undefined; readonly file?: string | undefined },
  kind: SecretKind,
  { at, baseDir, env, report }: SecretContext,
): string | undefined {
  if (source.env !== undefined) return secretFromEnv(source.env, [...at, kind.envKey], env, kind, report);
  if (source.file !== undefined) return secretFromFile(resolve(baseDir, source.file), [...at, kind.fileKey], kind, report);
  return undefined;
}

function secretFromEnv(name: string, at: KeyPath, env: Environment, kind: SecretKind, report: ReportIssue): string | undefined {
  const value = env[name];
  if (value === undefined) return void report(at, `environment variable ${name} is not set`);
  if (value === '') return void report(at, `environment variable ${name} is empty`);
  if (value.length < MIN_SECRET_LENGTH) {
    return void report(at, `the ${kind.noun} in environment variable ${name} is too short; ${kind.shortReason}`);
  }
  return value;
}

// A secret file holds one password; anything larger is the wrong file.
const MAX_SECRET_FILE_BYTES = 4096;
// Bundles such as the Mozilla roots are ~220 KB.
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024;

function secretFromFile(file: string, at: KeyPath, kind: SecretKind, report: ReportIssue): string | undefined {
  const read = readSmallRegularFile(file, 'secret file', MAX_SECRET_FILE_BYTES);
  if (!read.ok) return void report(at, read.problem);
  // A readable secret file lets any local user impersonate the tool; refuse rather than warn.
  if ((read.stats.mode & 0o077) !== 0) {
    const mode = (read.stats.mode & 0o777).toString(8).padStart(4, '0');
    return void report(
      at,
      `secret file ${file} is accessible by group or others (mode ${mode}); run: chmod 600 ${file}` +
        ' (for a Kubernetes secret volume, set defaultMode: 0400)',
    );
  }
  const secret = withoutTrailingNewlines(read.text);
  if (secret === '') return void report(at, `secret file ${file} is empty`);
  if (secret.length < MIN_SECRET_LENGTH) {
    return void report(at, `the ${kind.noun} in file ${file} is too short; ${kind.shortReason}`);
  }
  return secret;
}

/** Files written by `echo` or editors end in a newline that is not part of the password. No RegExp on secrets. */
function withoutTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '\n') end -= text[end - 2] === '\r' ? 2 : 1;
  return text.slice(0, end);
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Absolute paths of the CA bundles, each checked to hold at least one parseable certificate and no private
 * key. `pathOf` gives each file's key path (`upstream.ca` when written as one string, `upstream.ca[1]` in a list).
 */
export function checkCaFiles(
  files: readonly string[],
  pathOf: (index: number) => KeyPath,
  baseDir: string,
  report: ReportIssue,
): string[] {
  return files.map((file, index) => {
    const absolute = resolve(baseDir, file);
    checkCaFile(absolute, pathOf(index), report);
    return absolute;
  });
}

function checkCaFile(file: string, at: KeyPath, report: ReportIssue): void {
  const read = readSmallRegularFile(file, 'CA file', MAX_CA_FILE_BYTES);
  if (!read.ok) return report(at, read.problem);
  const blocks = [...read.text.matchAll(PEM_BLOCK)];
  if (blocks.some((block) => block[1]?.includes('PRIVATE KEY'))) {
    return report(at, `CA file ${file} contains a private key; point "ca" at the certificate(s) only`);
  }
  const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE');
  if (certificates.length === 0) return report(at, `CA file ${file} contains no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  certificates.forEach((block, index) => {
    const problem = certificateProblem(block[0]);
    if (problem !== null) report(at, `certificate #${index + 1} in CA file ${file} cannot be parsed: ${problem}`);
  });
}

function certificateProblem(pem: string): string | null {
  try {
    new X509Certificate(pem);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
