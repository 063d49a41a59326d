/**
 * The validated, resolved configuration the rest of the program receives. Deep-frozen by the loader.
 * File shapes (YAML) live in schema.ts; this is the domain view: paths absolute, secrets loaded,
 * listen addresses split, defaults applied.
 */
import type { AllowRuleSpec, Mode } from '../policy/types.js';

export type ActorType = 'human' | 'automation' | 'unknown';

export interface HostPort {
  readonly host: string; // IPv6 without brackets
  readonly port: number;
}

/** Traffic scrubbing for one tool (the global settings with the tool's overrides applied). */
export interface ScrubSettings {
  readonly responses: 'redact' | 'off';
  readonly requests: 'block' | 'redact' | 'off';
  readonly undecodable: 'pass' | 'block';
  readonly maxRequestBodyBytes: number;
  readonly markers: 'plain' | 'fingerprint';
}

export interface ToolConfig {
  readonly name: string;
  /** The tool's proxy password. Never logged; compared in constant time. */
  readonly secret: string;
  readonly actor: { readonly principal: string; readonly type: ActorType };
  /** Per-tool mode; falls back to the global mode when absent in the file. */
  readonly mode: Mode;
  readonly allow: readonly AllowRuleSpec[];
  readonly scrub: ScrubSettings;
}

export type AuditFormat = 'native' | 'ocsf' | 'ecs';

/** Where a network sink keeps the events its receiver has not acknowledged (bounded). */
export interface SpoolConfig {
  /** Absolute directory, one per sink, derived from the sink's identity so it survives restarts. */
  readonly dir: string;
  readonly maxBytes: number;
}

export interface FileSinkConfig {
  readonly type: 'file';
  readonly path: string; // absolute
  readonly format: AuditFormat;
  /** Rotate when the file would grow past this many bytes; null: only on SIGHUP. */
  readonly maxBytes: number | null;
  readonly syncIntervalMs: number;
}

export interface StdoutSinkConfig {
  readonly type: 'stdout';
  readonly format: AuditFormat;
}

export interface SyslogSinkConfig {
  readonly type: 'syslog';
  readonly transport: 'tcp' | 'tls' | 'relp';
  /** host may be a name or an IP literal (IPv6 without brackets). */
  readonly address: HostPort;
  /** Absolute paths of extra CA bundles for TLS (added to the system roots). */
  readonly ca: readonly string[];
  readonly serverName: string | null;
  readonly facility: number;
  readonly appName: string;
  readonly format: AuditFormat;
  readonly spool: SpoolConfig;
}

export interface HttpSinkConfig {
  readonly type: 'http';
  readonly url: string;
  /** The Splunk HEC token. Never logged. */
  readonly token: string;
  readonly ca: readonly string[];
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly format: AuditFormat;
  readonly spool: SpoolConfig;
}

export type AuditSinkConfig = FileSinkConfig | StdoutSinkConfig | SyslogSinkConfig | HttpSinkConfig;

export interface EgressConfig {
  /** Absolute path of the config file, or null for the embedded default. */
  readonly source: string | null;
  readonly listen: HostPort;
  readonly admin: HostPort;
  readonly dataDir: string; // absolute
  readonly mode: Mode;
  readonly upstream: {
    /** Absolute paths of extra CA bundles added to the system roots for upstream verification. */
    readonly ca: readonly string[];
    /** `host:port` (normalized host) -> dial target, like curl --resolve. Named targets skip the SSRF guard. */
    readonly resolve: ReadonlyMap<string, HostPort>;
    /** Hosts (exact or `*.suffix`) whose private/loopback addresses may be dialled. */
    readonly allowPrivate: readonly string[];
    readonly connectTimeoutMs: number;
    /** Idle time allowed while waiting for response headers or body bytes. */
    readonly responseTimeoutMs: number;
  };
  readonly tools: ReadonlyMap<string, ToolConfig>;
  readonly audit: {
    readonly sinks: readonly AuditSinkConfig[];
    /** When no sink can accept an event: refuse new requests (closed, the default) or keep serving (open). */
    readonly onAuditFailure: 'closed' | 'open';
  };
  readonly tokens: {
    /** A token unused for this long is reported when it is used again. */
    readonly dormantAfterMs: number;
  };
  /** Scrubbing for anonymous use, and the base every tool's settings override. */
  readonly scrub: ScrubSettings;
  readonly shutdownGraceMs: number;
}
