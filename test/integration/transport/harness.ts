/**
 * Raw-socket tools for the transport specs: a CONNECT written by hand, TLS over the tunnel trusting only
 * the CA the test names, and a small HTTP/1.1 response reader (content-length, chunked, close-delimited),
 * so every byte sent and received is the test's own and no client library smooths a defect over.
 */
import { readdirSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { expect } from 'vitest';
import type { AuditEvent } from '../../../src/audit/event.js';
import type { TestProxy } from '../../helpers/proxy.js';

export const AGENT_SECRET = 'agent-Secr3t-7c6b5a4f3e2d1c0b';
export const AGENT_ENV: Readonly<Record<string, string>> = { AGENT_PROXY_SECRET: AGENT_SECRET };
export const AGENT_AUTH = `Basic ${Buffer.from(`agent:${AGENT_SECRET}`).toString('base64')}`;

/** Every wait in these specs is bounded: a defect shows as a failed assertion, never as a hung run. */
export const NO_HANG_MS = 10_000;

export interface AgentConfigOptions {
  /** `host:port` -> `ip:port`, as in upstream.resolve. */
  readonly resolve?: Readonly<Record<string, string>>;
  readonly ca?: readonly string[];
  /** Extra YAML lines under `upstream:`, already indented by two spaces. */
  readonly upstreamLines?: readonly string[];
  /** Top-level YAML lines appended as they are (e.g. a `scrub:` block). */
  readonly extraLines?: readonly string[];
}

/** Enforce mode with one tool, `agent`, allowed anywhere under example.test on the scheme's default port. */
export function agentConfig(options: AgentConfigOptions = {}): string {
  const resolve = Object.entries(options.resolve ?? {}).map(([from, to]) => `    "${from}": "${to}"`);
  return [
    'mode: enforce',
    'upstream:',
    `  ca: [${(options.ca ?? []).map((path) => JSON.stringify(path)).join(', ')}]`,
    ...(resolve.length > 0 ? ['  resolve:', ...resolve] : []),
    ...(options.upstreamLines ?? []),
    'tools:',
    '  agent:',
    '    secretEnv: AGENT_PROXY_SECRET',
    '    actor: { principal: transport-specs, type: automation }',
    '    allow:',
    '      - host: "*.example.test"',
    ...(options.extraLines ?? []),
  ].join('\n');
}

/** The tool's proxy secret (and any other given) never reaches the audit log or the proxy's own logs. */
export function expectNoSecretsIn(proxy: TestProxy, secrets: readonly string[] = [AGENT_SECRET]): void {
  const written = `${proxy.auditText()}\n${proxy.logs.join('')}`;
  for (const secret of secrets) expect(written).not.toContain(secret);
  expect(written).not.toContain(AGENT_AUTH.slice('Basic '.length));
}

/**
 * The audit events matching `predicate`, once there are `count` of them. Events are observed after the
 * response went out and the file sink writes asynchronously, so a client can finish before its event is
 * on disk: always poll, never read "the last line" right after a reply.
 */
export async function auditEventsWhere(proxy: TestProxy, predicate: (event: AuditEvent) => boolean, count = 1): Promise<AuditEvent[]> {
  const matching = (): AuditEvent[] => proxy.auditEvents().filter(predicate);
  if (!(await eventually(() => matching().length >= count))) {
    throw new Error(`expected ${count} matching audit event(s), found ${matching().length}`);
  }
  return matching();
}

/** The one audit event with this id (the `request_id` of a coded reply). */
export async function auditEventWithId(proxy: TestProxy, requestId: string): Promise<AuditEvent> {
  const [event] = await auditEventsWhere(proxy, (e) => e.event_id === requestId);
  return event!;
}

export interface RawConnect {
  readonly socket: net.Socket;
  /** The first `data` chunk the proxy sent after the CONNECT, exactly as one read returned it. */
  readonly firstChunk: Buffer;
}

/** Sends `CONNECT authority` on a fresh loopback socket and waits for the proxy's first bytes. */
export async function rawConnect(proxyPort: number, authority: string, auth?: string): Promise<RawConnect> {
  const socket = net.connect({ host: '127.0.0.1', port: proxyPort });
  socket.on('error', () => socket.destroy());
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`, ...(auth ? [`Proxy-Authorization: ${auth}`] : [])];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  const firstChunk = await bounded(
    new Promise<Buffer>((resolve, reject) => {
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        resolve(chunk);
      });
      socket.once('close', () => reject(new Error(`proxy closed the CONNECT ${authority} without a reply`)));
    }),
    `reply to CONNECT ${authority}`,
  );
  return { socket, firstChunk };
}

export interface TunnelTls {
  readonly ca: string;
  /** A DNS name (sent as SNI and verified) or an IP literal (verified against IP SANs, no SNI). */
  readonly host: string;
}

/** CONNECT, expect 200, then a TLS handshake inside the tunnel that trusts only `ca`. */
export async function openTlsTunnel(proxyPort: number, authority: string, trust: TunnelTls, auth?: string): Promise<tls.TLSSocket> {
  const { socket, firstChunk } = await rawConnect(proxyPort, authority, auth);
  expect(firstChunk.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);
  const isIp = net.isIP(trust.host) !== 0;
  const secure = tls.connect({
    socket,
    ca: trust.ca,
    ALPNProtocols: ['http/1.1'],
    ...(isIp ? { host: trust.host } : { servername: trust.host }),
  });
  await bounded(
    new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    }),
    `TLS handshake through CONNECT ${authority}`,
  );
  secure.on('error', () => secure.destroy());
  return secure;
}

export interface RawResponse {
  readonly status: number;
  readonly head: string;
  /** Lower-case names; every value of a repeated header, in order. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer;
}

/** Writes one request given as header lines (the request line first) and reads one response. */
export function exchange(socket: Duplex, lines: readonly string[], body = ''): Promise<RawResponse> {
  const reply = readResponse(socket);
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  return reply;
}

/** Reads exactly one HTTP/1.1 response, framed by content-length, chunked encoding, or the connection's end. */
export function readResponse(socket: Duplex, timeoutMs = NO_HANG_MS): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const finish = (error: Error | null, response: RawResponse | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      if (response) resolve(response);
      else reject(error ?? new Error('no response'));
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseResponse(buffered, false);
      if (parsed) finish(null, parsed);
    };
    const onEnd = (): void => finish(new Error(`connection ended before a complete response: ${buffered.toString('latin1').slice(0, 200)}`), parseResponse(buffered, true));
    const timer = setTimeout(() => finish(new Error(`no complete response within ${timeoutMs} ms`), null), timeoutMs);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    socket.resume();
  });
}

function parseResponse(buffered: Buffer, ended: boolean): RawResponse | null {
  const headEnd = buffered.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = buffered.subarray(0, headEnd).toString('latin1');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const rest = buffered.subarray(headEnd + 4);
  const body = bodyOf(rest, headers, ended);
  if (body === null) return null;
  return { status: Number(statusLine.split(' ')[1]), head, headers, body };
}

function bodyOf(rest: Buffer, headers: ReadonlyMap<string, readonly string[]>, ended: boolean): Buffer | null {
  const length = headers.get('content-length')?.[0];
  if (length !== undefined) return rest.length >= Number(length) ? rest.subarray(0, Number(length)) : null;
  if (headers.get('transfer-encoding')?.some((value) => value.toLowerCase().includes('chunked'))) return dechunk(rest);
  return ended ? rest : null;
}

/** Decodes a complete chunked body, or returns null while the last chunk has not arrived yet. */
function dechunk(encoded: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = encoded.indexOf('\r\n', offset);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(encoded.subarray(offset, lineEnd).toString('latin1'), 16);
    if (size === 0) return encoded.indexOf('\r\n', lineEnd + 2) >= 0 ? Buffer.concat(parts) : null;
    if (encoded.length < lineEnd + 2 + size + 2) return null;
    parts.push(encoded.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** Reads everything until the peer closes (for replies that end the connection). */
export function readUntilClose(socket: Duplex, timeoutMs = NO_HANG_MS): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (closed: boolean): void => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('close', () => done(true));
    socket.once('error', () => socket.destroy());
    socket.resume();
  });
}

/** The JSON body of a coded refusal; asserts it carries the three public keys and nothing else. */
export function codedBody(body: Buffer | string): { error: string; reason: string; request_id: string } {
  const parsed = JSON.parse(body.toString()) as Record<string, string>;
  expect(Object.keys(parsed).sort()).toEqual(['error', 'reason', 'request_id']);
  return parsed as { error: string; reason: string; request_id: string };
}

/** The body after the blank line of a raw reply text. */
export function bodyOfText(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

/** Every path under `root`, relative and sorted: compared before and after to prove nothing was written. */
export function listTree(root: string): string[] {
  return readdirSync(root, { recursive: true }).map(String).sort();
}

/** Polls `condition` every 25 ms for at most `timeoutMs`; returns whether it became true. */
export async function eventually(condition: () => boolean, timeoutMs = NO_HANG_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await delay(25);
  }
  return true;
}

/**
 * Waits until a growing counter stops growing (equal on two reads `intervalMs` apart, within `timeoutMs`)
 * and returns where it stopped; throws if it never settles. A flow stopped by backpressure settles once
 * the buffers along the path are full, however fast or slow the machine filled them.
 */
export async function settledValue(read: () => number, intervalMs = 250, timeoutMs = NO_HANG_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let previous = read();
  for (;;) {
    await delay(intervalMs);
    const current = read();
    if (current === previous) return current;
    if (Date.now() > deadline) throw new Error(`still growing after ${timeoutMs} ms (at ${current})`);
    previous = current;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function bounded<T>(promise: Promise<T>, what: string, timeoutMs = NO_HANG_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
