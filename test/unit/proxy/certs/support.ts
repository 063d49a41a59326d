/**
 * Test support for certificate specs: temp dirs, real binaries, and a loopback TLS endpoint that serves
 * a minted context exactly as the proxy will (a plain socket upgraded with `secureContext`).
 */
import { execFile } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, connect } from 'node:tls';
import type { SecureContext } from 'node:tls';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a binary without a shell; never throws on a non-zero exit, so tests can assert on failures. */
export function run(file: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env ?? process.env, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
    });
  });
}

export async function openssl(...args: string[]): Promise<RunResult> {
  const result = await run('openssl', args);
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

export async function makeTempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'mcp-egress-certs-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Every path under `dir`, relative, sorted: compared before and after to prove nothing was written. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

export interface TlsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** A TLS server on 127.0.0.1 presenting `context`; it answers "ok\n" after the handshake. */
export async function serveTls(context: SecureContext): Promise<TlsEndpoint> {
  const server = createServer((socket) => {
    const tlsSocket = new TLSSocket(socket, { isServer: true, secureContext: context });
    tlsSocket.on('secure', () => tlsSocket.end('ok\n'));
    // A client that rejects the certificate aborts the handshake; that is an expected outcome here.
    tlsSocket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface NodeHandshake {
  readonly authorized: boolean;
  readonly authorizationError: string | null;
  readonly leaf: X509Certificate | undefined;
}

/** Connects with Node's TLS client; `ca` undefined means "do not verify" (to inspect what is presented). */
export function nodeHandshake(port: number, options: { servername?: string; ca?: string }): Promise<NodeHandshake> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
    });
    socket.once('secureConnect', () => {
      const result = {
        authorized: socket.authorized,
        // Typed as an Error but null at run time when the peer was authorized.
        authorizationError: socket.authorizationError == null ? null : String(socket.authorizationError),
        leaf: socket.getPeerX509Certificate(),
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', reject);
  });
}
