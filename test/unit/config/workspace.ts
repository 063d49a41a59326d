/**
 * A temporary copy of test/fixtures/config plus the files fixtures point at: secret files with real
 * permissions (git keeps no 0600), and CA bundles made by the real openssl binary.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));

/** Every secret value the workspace holds; none may ever appear in an error message. */
const SECRETS = {
  reader: 'reader-secret-9f2c41d7e3',
  writer: 'writer-secret-1a8b2e6c55',
  third: 'third-secret-77d0c3e9a1',
  fourth: 'fourth-secret-0b5e8a2f64',
  short: 'short-7c1',
  goodFile: 'file-secret-3d9a7c2b1e80',
  ciBot: 'ci-bot-secret-5e1f0a9c72',
  openFile: 'open-secret-8b3c6d2e1f04',
  shortFile: 'short-f-4a2',
  hecToken: '5d1e9c0b-7a44-4e2f-9b61-0c8d3f2a7e15',
} as const;

export interface Workspace {
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly secretValues: readonly string[];
  readonly secrets: typeof SECRETS;
  cleanup(): void;
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-egress-config-'));
  const pem = makeCertificate(dir);
  for (const sub of ['valid', 'invalid']) {
    cpSync(join(FIXTURES_DIR, sub), join(dir, sub), { recursive: true });
    writeAssets(join(dir, sub), pem);
  }
  const env = {
    READER_PROXY_SECRET: SECRETS.reader,
    WRITER_PROXY_SECRET: SECRETS.writer,
    THIRD_PROXY_SECRET: SECRETS.third,
    FOURTH_PROXY_SECRET: SECRETS.fourth,
    SHORT_PROXY_SECRET: SECRETS.short,
    EMPTY_PROXY_SECRET: '',
    GOOD_FILE_SECRET_COPY: SECRETS.goodFile,
    HEC_TOKEN: SECRETS.hecToken,
  };
  return {
    dir,
    env,
    secrets: SECRETS,
    secretValues: Object.values(SECRETS),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface CertificatePem {
  readonly cert: string;
  readonly key: string;
}

function makeCertificate(dir: string): CertificatePem {
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=mcp-egress test CA',
  ], { stdio: 'pipe' });
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

export function writeSecretFile(file: string, content: string, mode: number): void {
  writeFileSync(file, content);
  chmodSync(file, mode); // explicit: the process umask must not decide the test's outcome
}

function writeAssets(dir: string, pem: CertificatePem): void {
  mkdirSync(join(dir, 'certs'));
  writeFileSync(join(dir, 'certs/ca.pem'), pem.cert);
  writeFileSync(join(dir, 'certs/backend-ca.pem'), pem.cert);
  writeFileSync(join(dir, 'certs/not-a-cert.pem'), 'this is not PEM\n');
  writeFileSync(join(dir, 'certs/with-key.pem'), pem.cert + pem.key);
  writeFileSync(join(dir, 'certs/corrupt.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
  mkdirSync(join(dir, 'secrets'));
  writeSecretFile(join(dir, 'secrets/good.secret'), `${SECRETS.goodFile}\n`, 0o600);
  writeSecretFile(join(dir, 'secrets/open.secret'), SECRETS.openFile, 0o644);
  writeSecretFile(join(dir, 'secrets/short.secret'), `${SECRETS.shortFile}\n`, 0o600);
  writeSecretFile(join(dir, 'secrets/empty.secret'), '\n', 0o600);
  writeSecretFile(join(dir, 'secrets/huge.secret'), 'x'.repeat(5000), 0o600);
  execFileSync('mkfifo', ['-m', '600', join(dir, 'secrets/fifo')]);
  writeSecretFile(join(dir, 'ci-bot.secret'), `${SECRETS.ciBot}\n`, 0o600);
}
