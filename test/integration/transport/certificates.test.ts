/**
 * Defects 2 and 3 of http-mitm-proxy 1.1.0: an RSA-2048 key generated per host on the event loop, and
 * certificate file paths built from the CONNECT hostname (`CONNECT ../../x:443` wrote outside its
 * directory). Here one key serves every leaf, concurrent CONNECTs for a host share one mint, minting
 * touches no file, and a host that is not a host name is refused at CONNECT with a coded 400.
 */
import type { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as x509 from '../../../src/proxy/certs/x509.js';
import { startBackend, type Backend } from '../../helpers/backend.js';
import { makeBackendPki } from '../../helpers/pki.js';
import { startTestProxy, type TestProxy } from '../../helpers/proxy.js';
import {
  AGENT_AUTH, AGENT_ENV, agentConfig, bodyOfText, codedBody, eventually, exchange, expectNoSecretsIn, listTree, openTlsTunnel, rawConnect, readUntilClose,
} from './harness.js';
import { muteConsole, startUnfixedLibrary, unmuteConsole } from './unfixed-library.js';

const HOSTS = Array.from({ length: 20 }, (_, i) => `h${i}.example.test`);
const SHARED_HOST = 'same.example.test';

let root: string;
let backend: Backend;
let proxy: TestProxy;
let proxyCa: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'egress-certs-spec-'));
  const pki = makeBackendPki([...HOSTS, SHARED_HOST]);
  backend = await startBackend({ pki });
  const resolve = Object.fromEntries([...HOSTS, SHARED_HOST].map((host) => [`${host}:443`, `127.0.0.1:${backend.port}`]));
  const proxyDir = join(root, 'proxy', 'one', 'two');
  mkdirSync(proxyDir, { recursive: true });
  proxy = await startTestProxy(agentConfig({ resolve, ca: [pki.caCert] }), { env: AGENT_ENV, dir: proxyDir });
  proxyCa = readFileSync(proxy.caCert, 'utf8');
});

afterAll(async () => {
  await proxy?.stop();
  await backend?.close();
});

function subjectKeyId(cert: NodeX509Certificate | string): string | null {
  const parsed = new x509.X509Certificate(typeof cert === 'string' ? cert : cert.raw);
  return parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ?? null;
}

function authorityKeyId(cert: NodeX509Certificate): string | null {
  return new x509.X509Certificate(cert.raw).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId ?? null;
}

function spkiHex(cert: NodeX509Certificate): string {
  return cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
}

/** CONNECT + handshake to `host`, then one request through the tunnel; returns the leaf and the status. */
async function leafAndStatus(host: string): Promise<{ leaf: NodeX509Certificate; status: number }> {
  const tunnel = await openTlsTunnel(proxy.port, `${host}:443`, { ca: proxyCa, host }, AGENT_AUTH);
  try {
    const leaf = tunnel.getPeerX509Certificate();
    if (!leaf) throw new Error(`no peer certificate for ${host}`);
    const reply = await exchange(tunnel, ['GET / HTTP/1.1', `Host: ${host}`]);
    return { leaf, status: reply.status };
  } finally {
    tunnel.destroy();
  }
}

describe('2. leaves share one key and are minted once per host', () => {
  it('serves 20 new hosts at once, every leaf with the same key, its own SAN and the CA as issuer', async () => {
    const before = proxy.running.minter.stats();
    const results = await Promise.all(HOSTS.map((host) => leafAndStatus(host)));
    expect(results.map((result) => result.status)).toEqual(HOSTS.map(() => 200));
    const caSki = subjectKeyId(proxyCa);
    expect(caSki).toMatch(/^[0-9a-f]+$/);
    const [first] = results;
    results.forEach(({ leaf }, i) => {
      expect(leaf.subjectAltName).toBe(`DNS:${HOSTS[i]}`);
      expect(leaf.publicKey.asymmetricKeyType).toBe('ec');
      expect(spkiHex(leaf)).toBe(spkiHex(first!.leaf));
      expect(subjectKeyId(leaf)).toBe(subjectKeyId(first!.leaf));
      expect(authorityKeyId(leaf)).toBe(caSki);
    });
    expect(new Set(results.map(({ leaf }) => leaf.serialNumber)).size).toBe(HOSTS.length);
    expect(proxy.running.minter.stats().mints - before.mints).toBe(HOSTS.length);
    expectNoSecretsIn(proxy);
  });

  it('mints once for ten concurrent CONNECTs to one new host; the others wait for that mint', async () => {
    const before = proxy.running.minter.stats();
    const results = await Promise.all(Array.from({ length: 10 }, () => leafAndStatus(SHARED_HOST)));
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(new Set(results.map(({ leaf }) => leaf.serialNumber)).size).toBe(1);
    const after = proxy.running.minter.stats();
    expect(after.mints - before.mints).toBe(1);
    expect(after.cacheHits - before.cacheHits).toBe(9);
    expect(after.mintFailures).toBe(before.mintFailures);
  });

  describe('unfixed library (control)', () => {
    beforeAll(() => void muteConsole());
    afterAll(unmuteConsole);

    it('generates a fresh RSA-2048 key for every host', async () => {
      const library = await startUnfixedLibrary();
      try {
        const leaves = await Promise.all(['a.example.test', 'b.example.test'].map(async (host) => {
          const tunnel = await openTlsTunnel(library.port, `${host}:443`, { ca: library.caPem(), host });
          const leaf = tunnel.getPeerX509Certificate();
          tunnel.destroy();
          return leaf!;
        }));
        expect(leaves.map((leaf) => leaf.publicKey.asymmetricKeyDetails?.modulusLength)).toEqual([2048, 2048]);
        expect(spkiHex(leaves[0]!)).not.toBe(spkiHex(leaves[1]!));
      } finally {
        library.close();
      }
    });
  });
});

describe('3. no file path is ever built from a CONNECT host', () => {
  // A backslash never gets past Node's HTTP parser (bad_request); everything else reaches the CONNECT
  // target stage, which accepts only a normalized host name or IP literal (bad_target).
  const hostileAuthorities = [
    { authority: '../../x:443', reason: 'bad_target' },
    { authority: '..%2f..%2fx:443', reason: 'bad_target' },
    { authority: 'a/b:443', reason: 'bad_target' },
    { authority: 'api.example.test/../../x:443', reason: 'bad_target' },
    { authority: '..\\..\\x:443', reason: 'bad_request' },
  ];

  /** Runs `body` with the process in a fresh directory under `root`, so the cwd is part of the listing. */
  async function inScratchCwd(body: () => Promise<void>): Promise<void> {
    const cwd = join(root, 'cwd', 'one', 'two');
    mkdirSync(cwd, { recursive: true });
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      await body();
    } finally {
      process.chdir(previous);
    }
  }

  it.each(hostileAuthorities)('refuses CONNECT $authority with a coded 400 $reason and writes nothing', async ({ authority, reason }) => {
    await inScratchCwd(async () => {
      proxy.auditText(); // the audit file exists and is flushed before the listing
      const before = listTree(root);
      const { socket, firstChunk } = await rawConnect(proxy.port, authority, AGENT_AUTH);
      const rest = await readUntilClose(socket);
      const reply = firstChunk.toString('latin1') + rest.text;
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
      expect(codedBody(bodyOfText(reply))).toMatchObject({ error: 'bad_request', reason });
      expect(rest.closed).toBe(true);
      proxy.auditText();
      expect(listTree(root)).toEqual(before);
    });
    expectNoSecretsIn(proxy);
  });

  describe('unfixed library (control)', () => {
    beforeAll(() => void muteConsole());
    afterAll(unmuteConsole);

    it('writes key and certificate files outside its CA directory for CONNECT ../../x:443', async () => {
      const controlRoot = mkdtempSync(join(tmpdir(), 'mitm-control-paths-'));
      const sslCaDir = join(controlRoot, 'lib', 'ca');
      const library = await startUnfixedLibrary(sslCaDir);
      try {
        const before = listTree(controlRoot);
        const { socket } = await rawConnect(library.port, '../../x:443');
        // Any ClientHello makes the library look up (and write) the leaf files named after the host.
        const hello = tls.connect({ socket, servername: 'x.example.test', rejectUnauthorized: false });
        hello.on('error', () => hello.destroy());
        const escaped = (): string[] => listTree(controlRoot).filter((path) => !before.includes(path) && !path.startsWith(join('lib', 'ca')));
        expect(await eventually(() => escaped().length > 0)).toBe(true);
        expect(escaped()).toContain(join('lib', 'x.pem'));
        hello.destroy();
      } finally {
        library.close();
      }
    });
  });
});
