/**
 * Real TLS clients complete a verified handshake against a minted context on loopback: CPython with
 * VERIFY_X509_STRICT (the default from Python 3.13 on) and Node's own client.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../../../../src/proxy/certs/ca.js';
import type { CertificateAuthority } from '../../../../src/proxy/certs/ca.js';
import { createLeafMinter } from '../../../../src/proxy/certs/leaf.js';
import type { LeafMinter } from '../../../../src/proxy/certs/leaf.js';
import { loadCaFromFiles } from '../../../../src/proxy/certs/ca.js';
import { makeTempDir, nodeHandshake, openssl, run, serveTls } from './support.js';
import type { TlsEndpoint } from './support.js';

const PYTHON_CLIENT = `
import socket, ssl, sys
cafile, port, server_hostname = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
        print("handshake ok", tls.version())
`;

/** Only what python needs: no inherited CA-bundle variables can change what it trusts. */
function isolatedEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONNOUSERSITE: '1' };
}

function pythonHandshake(caPath: string, port: number, serverHostname: string) {
  return run('python3', ['-I', '-c', PYTHON_CLIENT, caPath, String(port), serverHostname], isolatedEnv());
}

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let minter: LeafMinter;
const endpoints: TlsEndpoint[] = [];

async function serve(host: string): Promise<number> {
  const endpoint = await serveTls(await minter.secureContextFor(host));
  endpoints.push(endpoint);
  return endpoint.port;
}

beforeAll(async () => {
  temp = await makeTempDir();
  ca = await loadOrCreateCa(join(temp.path, 'data'));
  otherCa = await loadOrCreateCa(join(temp.path, 'other'));
  minter = createLeafMinter({ ca, clock: () => new Date() });
});
afterAll(async () => {
  await Promise.all(endpoints.map((endpoint) => endpoint.close()));
  await temp.remove();
});

describe('python3 ssl with VERIFY_X509_STRICT', () => {
  it('completes the handshake for api.example.test', async () => {
    const result = await pythonHandshake(ca.certPath, await serve('api.example.test'), 'api.example.test');
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^handshake ok TLSv1\.[23]\n$/);
  });

  it('completes the handshake for an IPv4 literal', async () => {
    const result = await pythonHandshake(ca.certPath, await serve('127.0.0.1'), '127.0.0.1');
    expect(result.stdout).toMatch(/^handshake ok/);
  });

  it('refuses a leaf minted for another name', async () => {
    const result = await pythonHandshake(ca.certPath, await serve('other.example.test'), 'api.example.test');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('CERTIFICATE_VERIFY_FAILED');
  });

  it('really verifies strictly: a chain from a CA without keyUsage is refused', async () => {
    const base = join(temp.path, 'lenient');
    await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', `${base}.key`, '-out', `${base}.pem`, '-days', '30', '-subj', '/CN=Lenient CA');
    const lenient = createLeafMinter({ ca: await loadCaFromFiles(`${base}.pem`, `${base}.key`), clock: () => new Date() });
    const endpoint = await serveTls(await lenient.secureContextFor('api.example.test'));
    endpoints.push(endpoint);
    const result = await pythonHandshake(`${base}.pem`, endpoint.port, 'api.example.test');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('CA cert does not include key usage extension');
  });

  it('refuses when trusting a different CA', async () => {
    const result = await pythonHandshake(otherCa.certPath, await serve('api.example.test'), 'api.example.test');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('CERTIFICATE_VERIFY_FAILED');
  });
});

describe('node tls client with ca: ca.pem', () => {
  it('authorizes the minted leaf for its servername', async () => {
    const port = await serve('api.example.test');
    const result = await nodeHandshake(port, { servername: 'api.example.test', ca: ca.certPem });
    expect(result).toMatchObject({ authorized: true, authorizationError: null });
    expect(result.leaf?.subjectAltName).toBe('DNS:api.example.test');
  });

  it('authorizes an IPv4 leaf when connecting by address', async () => {
    const port = await serve('127.0.0.1');
    const result = await nodeHandshake(port, { ca: ca.certPem });
    expect(result.authorized).toBe(true);
    expect(result.leaf?.subjectAltName).toBe('IP Address:127.0.0.1');
  });

  it('does not authorize it against a different CA', async () => {
    const port = await serve('api.example.test');
    await expect(nodeHandshake(port, { servername: 'api.example.test', ca: otherCa.certPem })).rejects.toMatchObject({
      // The presented chain ends in our CA, which this client does not trust.
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
  });
});
