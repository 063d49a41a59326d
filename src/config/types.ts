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

export type AuditSinkConfig =
  | { readonly type: 'file'; readonly path: string }
  | { readonly type: 'stdout' };

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
    /** When no sink can record: refuse new requests (true, the default) or keep serving. */
    readonly failClosed: boolean;
  };
  /** Scrubbing for anonymous use, and the base every tool's settings override. */
  readonly scrub: ScrubSettings;
  readonly shutdownGraceMs: number;
}
