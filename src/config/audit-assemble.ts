/**
 * The `audit` section from file shape to domain config: paths resolved against the config file, each
 * network sink's spool directory derived from what it sends to (stable across restarts), the HEC token
 * read from its env var or file, CA bundles checked. Problems are reported with their key path.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { KeyPath } from './errors.js';
import { checkCaFiles, readSecret, type Environment, type ReportIssue, type SecretKind } from './environment.js';
import { AuditSinkFileSchema, type AuditSinkFile } from './audit-schema.js';
import type { AuditSinkConfig, FileSinkConfig, HostPort, HttpSinkConfig, SpoolConfig, StdoutSinkConfig, SyslogSinkConfig } from './types.js';
import { DEFAULTS, MIN_SECRET_LENGTH } from './default.js';

export interface AuditAssembleContext {
  readonly baseDir: string;
  readonly env: Environment;
  readonly report: ReportIssue;
}

/** What a sink needs from outside the file: its HEC token and CA bundles, read and checked. */
export interface SinkOutside {
  readonly token: string | undefined;
  readonly ca: readonly string[];
}

/**
 * Reads every well-formed sink's token and CA files, even when other parts of the document are wrong,
 * so one run reports every problem (like tool secrets). Keyed by the sink's index in `audit.sinks`.
 */
export function readSinkOutside(rawSinks: unknown, context: AuditAssembleContext): Map<number, SinkOutside> {
  const outside = new Map<number, SinkOutside>();
  if (!Array.isArray(rawSinks)) return outside;
  rawSinks.forEach((raw: unknown, index) => {
    const parsed = AuditSinkFileSchema.safeParse(raw);
    if (!parsed.success || (parsed.data.type !== 'syslog' && parsed.data.type !== 'http')) return;
    const sink = parsed.data;
    const at: KeyPath = ['audit', 'sinks', index];
    const token = sink.type === 'http' ? readHecToken(sink, at, context) : undefined;
    outside.set(index, { token, ca: caFiles(sink.ca, [...at, 'ca'], context) });
  });
  return outside;
}

export function auditSinks(
  written: readonly AuditSinkFile[] | undefined,
  dataDir: string,
  outside: ReadonlyMap<number, SinkOutside>,
  report: ReportIssue,
): AuditSinkConfig[] {
  const files = written ?? [{ type: 'file', path: join(dataDir, DEFAULTS.auditFileName), format: 'native', syncIntervalMs: DEFAULTS.fileSyncIntervalMs }];
  const context = { dataDir, outside };
  const sinks = files.map((sink, index) => sinkConfig(sink, index, context));
  const seen = new Map<string, number>();
  sinks.forEach((sink, index) => {
    if (sink === null) return;
    const key = sinkIdentity(sink);
    const first = seen.get(key);
    // Two writers on one file interleave partial lines; two stdout sinks double every event.
    if (first !== undefined) report(['audit', 'sinks', index], `same sink as audit.sinks[${first}]`);
    else seen.set(key, index);
  });
  return sinks.filter((sink): sink is AuditSinkConfig => sink !== null);
}

interface BuildContext {
  readonly dataDir: string;
  readonly outside: ReadonlyMap<number, SinkOutside>;
}

function sinkConfig(sink: AuditSinkFile, index: number, context: BuildContext): AuditSinkConfig | null {
  const outside = context.outside.get(index) ?? { token: undefined, ca: [] };
  switch (sink.type) {
    case 'file':
      return { type: 'file', path: sink.path, format: sink.format, maxBytes: sink.maxBytes ?? null, syncIntervalMs: sink.syncIntervalMs };
    case 'stdout':
      return sink;
    case 'syslog': {
      const address = splitAddress(sink.address);
      return {
        type: 'syslog',
        transport: sink.transport,
        address,
        ca: [...outside.ca],
        serverName: sink.serverName ?? null,
        facility: sink.facility,
        appName: sink.appName,
        format: sink.format,
        spool: spoolConfig(sinkIdentity({ type: 'syslog', transport: sink.transport, address }), sink.spool.maxBytes, context.dataDir),
      };
    }
    case 'http':
      // No token: its problem was reported when it was read.
      if (outside.token === undefined) return null;
      return {
        type: 'http',
        url: sink.url,
        token: outside.token,
        ca: [...outside.ca],
        batchSize: sink.batchSize,
        flushIntervalMs: sink.flushIntervalMs,
        format: sink.format,
        spool: spoolConfig(sinkIdentity({ type: 'http', url: sink.url }), sink.spool.maxBytes, context.dataDir),
      };
  }
}

const HEC_TOKEN: SecretKind = {
  envKey: 'tokenEnv',
  fileKey: 'tokenFile',
  noun: 'token',
  shortReason: `an HEC token is at least ${MIN_SECRET_LENGTH} characters`,
};

function readHecToken(sink: { readonly tokenEnv?: string | undefined; readonly tokenFile?: string | undefined }, at: KeyPath, context: AuditAssembleContext): string | undefined {
  return readSecret({ env: sink.tokenEnv, file: sink.tokenFile }, HEC_TOKEN, { at, ...context });
}

function caFiles(ca: string | readonly string[] | undefined, at: KeyPath, context: AuditAssembleContext): string[] {
  if (ca === undefined) return [];
  const list = typeof ca === 'string' ? [ca] : [...ca];
  return checkCaFiles(list, (index) => (typeof ca === 'string' ? at : [...at, index]), context.baseDir, context.report);
}

/** What a sink sends to: two sinks with one identity are one sink twice; a spool is named after it. */
type SinkTarget =
  | Pick<FileSinkConfig, 'type' | 'path'>
  | Pick<StdoutSinkConfig, 'type'>
  | Pick<SyslogSinkConfig, 'type' | 'transport' | 'address'>
  | Pick<HttpSinkConfig, 'type' | 'url'>;

function sinkIdentity(sink: SinkTarget): string {
  switch (sink.type) {
    case 'file':
      return `file:${sink.path}`;
    case 'stdout':
      return 'stdout';
    case 'syslog':
      return `syslog:${sink.transport}:${sink.address.host}:${sink.address.port}`;
    case 'http':
      return `http:${sink.url}`;
  }
}

function spoolConfig(identity: string, maxBytes: number, dataDir: string): SpoolConfig {
  const id = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  return { dir: join(dataDir, 'spool', id), maxBytes };
}

/** The schema's regex already checked the shape: "[v6]:port" or "host:port". */
function splitAddress(address: string): HostPort {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(address.slice(colon + 1)) };
}
