/**
 * Before wrap starts an MCP server: is the proxy up, and does it accept this tool's credential? A server
 * started against a proxy that is down or refuses it fails later with an opaque network error inside
 * the MCP host; this says what is wrong, on stderr, before anything starts.
 *
 * The probe is one CONNECT with the tool's credential (and the launch header) to an authority the
 * tool's own policy allows, so an accepted probe opens a tunnel that is closed at once: nothing goes
 * upstream and no audit event is written (a tunnel is audited by the requests inside it). 407 means
 * the credential was refused; 403 still means it was accepted (only the probe's authority was not).
 */
import { connect } from 'node:net';
import type { HostPort, ToolConfig } from '../config/types.js';

export const PREFLIGHT_TIMEOUT_MS = 5_000;
const MAX_REPLY_HEAD = 16 * 1024;
/** `.invalid` never resolves (RFC 2606): the probe's authority when the tool names no exact host. */
export const FALLBACK_PROBE = 'preflight.mcp-egress.invalid:443';

export interface PreflightTarget {
  readonly proxy: HostPort;
  /** The tool, or null with no tools configured (anonymous: no credential to check). */
  readonly tool: { readonly name: string; readonly secret: string } | null;
  readonly authority: string;
  /** Extra CONNECT headers (the launch attestation). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export type PreflightResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** A host:port the tool may reach: the first allow rule naming one exact host. */
export function probeAuthority(tool: ToolConfig | undefined): string {
  const rule = tool?.allow.find((candidate) => !candidate.host.includes('*'));
  if (!rule) return FALLBACK_PROBE;
  const host = rule.host.includes(':') ? `[${rule.host}]` : rule.host;
  return `${host}:${rule.port ?? 443}`;
}

export async function preflight(target: PreflightTarget): Promise<PreflightResult> {
  const where = displayAddress(target.proxy);
  const reply = await connectProbe(target);
  if ('error' in reply) return { ok: false, message: networkMessage(reply.error, where, target.timeoutMs ?? PREFLIGHT_TIMEOUT_MS) };
  return judge(reply.status, reply.reason, where, target.tool?.name ?? null);
}

function judge(status: number, reason: string | null, where: string, tool: string | null): PreflightResult {
  if (status === 200 || status === 403) return { ok: true };
  if (status === 407) {
    const who = tool === null ? 'this client (no tool is configured here, but the proxy wants credentials)' : `tool "${tool}"`;
    return { ok: false, message: `proxy credentials for ${who} were not accepted by mcp-egress at ${where}; is it running with the same configuration file and secret?` };
  }
  const detail = reason ? ` (${reason})` : '';
  if (status === 503) return { ok: false, message: `mcp-egress at ${where} is not accepting requests${detail}` };
  return { ok: false, message: `mcp-egress at ${where} answered the preflight CONNECT with ${status}${detail}; is that port an mcp-egress proxy?` };
}

function networkMessage(error: NodeJS.ErrnoException, where: string, timeoutMs: number): string {
  if (error.code === 'ECONNREFUSED') return `mcp-egress is not running at ${where} (connection refused); start it with \`mcp-egress start -c <config>\``;
  if (error.code === 'ETIMEDOUT') return `mcp-egress at ${where} did not answer within ${timeoutMs} ms`;
  return `cannot reach mcp-egress at ${where}: ${error.code ?? 'connection failed'}`;
}

type ProbeReply = { status: number; reason: string | null } | { error: NodeJS.ErrnoException };

function connectProbe(target: PreflightTarget): Promise<ProbeReply> {
  const timeoutMs = target.timeoutMs ?? PREFLIGHT_TIMEOUT_MS;
  return new Promise((resolve) => {
    const socket = connect({ host: dialHost(target.proxy.host), port: target.proxy.port });
    let head = '';
    const finish = (reply: ProbeReply): void => {
      socket.destroy();
      resolve(reply);
    };
    socket.setTimeout(timeoutMs, () => finish({ error: Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }) }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ error }));
    socket.once('connect', () => socket.write(connectRequest(target)));
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const reply = parseReply(head);
      if (reply) finish(reply);
      else if (head.length > MAX_REPLY_HEAD) finish({ status: 0, reason: null });
    });
    socket.once('end', () => finish(parseReply(head) ?? { error: Object.assign(new Error('closed'), { code: 'ECONNRESET' }) }));
  });
}

function connectRequest(target: PreflightTarget): string {
  const lines = [`CONNECT ${target.authority} HTTP/1.1`, `Host: ${target.authority}`];
  if (target.tool) {
    const credential = Buffer.from(`${target.tool.name}:${target.tool.secret}`, 'utf8').toString('base64');
    lines.push(`Proxy-Authorization: Basic ${credential}`);
  }
  for (const [name, value] of Object.entries(target.headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The status, and the proxy's reason code when its JSON body has arrived (it is the proxy's own text). */
function parseReply(text: string): { status: number; reason: string | null } | null {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const reason = /"reason":"([a-z_]{1,64})"/.exec(text.slice(end))?.[1] ?? null;
  return { status, reason };
}

function dialHost(host: string): string {
  return host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
}

function displayAddress(proxy: HostPort): string {
  const host = dialHost(proxy.host);
  return host.includes(':') ? `[${host}]:${proxy.port}` : `${host}:${proxy.port}`;
}
