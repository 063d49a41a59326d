/**
 * Only canonical host names and IP literals are minted for. Hostile CONNECT targets (the path-traversal
 * hosts that made http-mitm-proxy write outside its directory) are refused, and minting never touches
 * the file system: nothing appears in the data dir or the working directory.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import type { CertificateAuthority } from '../../../../src/proxy/certs/ca.js';
import { InvalidMintHostError, createLeafMinter } from '../../../../src/proxy/certs/leaf.js';
import { parseMintHost } from '../../../../src/proxy/certs/mint-host.js';
import { listTree, makeTempDir } from './support.js';

const HOSTILE_HOSTS = [
  '../../x',
  '../../../etc/passwd',
  'a/b',
  'a\\b',
  '..',
  '.',
  '',
  ' ',
  'x\u0000y',
  'x\ny.example.test',
  'API.Example.test',
  'api.example.test.',
  ' api.example.test',
  '[::1]',
  '0:0::1',
  '0x7f.1',
  '2130706433',
  'ex ample.test',
  '%2e%2e',
  'a..b',
  `${'a'.repeat(64)}.example.test`,
  `${'a.'.repeat(127)}a`,
  'bücher.example',
];

const ACCEPTED_HOSTS = [
  { host: 'api.example.test', ipVersion: 0 },
  { host: '_dmarc.example.test', ipVersion: 0 },
  { host: 'xn--bcher-kva.example', ipVersion: 0 },
  { host: 'localhost', ipVersion: 0 },
  { host: '127.0.0.1', ipVersion: 4 },
  { host: '::1', ipVersion: 6 },
  { host: '2001:db8::1', ipVersion: 6 },
];

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let dataDir: string;
let ca: CertificateAuthority;

beforeAll(async () => {
  temp = await makeTempDir();
  dataDir = join(temp.path, 'data');
  ca = await loadOrCreateCa(dataDir);
});
afterAll(async () => temp.remove());

describe('parseMintHost', () => {
  it.each(ACCEPTED_HOSTS)('accepts the normalized host $host', ({ host, ipVersion }) => {
    expect(parseMintHost(host)).toEqual({ name: host, ipVersion });
  });

  it.each(HOSTILE_HOSTS.map((host) => ({ host })))('refuses $host', ({ host }) => {
    expect(() => parseMintHost(host)).toThrow(InvalidMintHostError);
  });

  it('quotes the refused host escaped, so control characters cannot forge log lines', () => {
    expect(() => parseMintHost('x\ny')).toThrow('"x\\ny"');
  });
});

describe('secureContextFor with hostile hosts', () => {
  it('refuses every one and writes no file to the data dir or the working directory', async () => {
    // A private working directory: the shared checkout may change under us for unrelated reasons.
    const workDir = join(temp.path, 'cwd');
    await mkdir(workDir);
    const originalCwd = process.cwd();
    process.chdir(workDir);
    onTestFinished(() => process.chdir(originalCwd));
    const minter = createLeafMinter({ ca, clock: () => new Date() });
    const before = { data: await listTree(dataDir), cwd: await listTree(process.cwd()) };
    expect(before.data).toEqual(['ca.key', 'ca.pem']);
    const outcomes = await Promise.allSettled(HOSTILE_HOSTS.map((host) => minter.secureContextFor(host)));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(InvalidMintHostError);
    }
    await minter.secureContextFor('api.example.test');
    expect(await listTree(dataDir)).toEqual(before.data);
    expect(await listTree(process.cwd())).toEqual(before.cwd);
    expect(minter.stats()).toMatchObject({ refusedHosts: HOSTILE_HOSTS.length, mints: 1, cachedHosts: 1 });
  });
});
