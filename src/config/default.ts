/**
 * The embedded defaults: what mcp-egress runs with when a key is absent, or when no config file is given.
 * The schema (schema.ts) applies these; the JSON Schema for editors shows them. One place, so the two
 * cannot drift apart.
 */
import type { Mode } from '../policy/types.js';

export const DEFAULTS = {
  listen: '127.0.0.1:8080',
  admin: '127.0.0.1:9090',
  /** Relative to the config file's directory, or to the working directory for the embedded default. */
  dataDir: './.mcp-egress',
  mode: 'report' as Mode,
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 60_000,
  shutdownGraceMs: 10_000,
  onAuditFailure: 'closed' as 'closed' | 'open',
  /** Each network sink's on-disk spool holds at most this much while its receiver is away. */
  spoolMaxBytes: 256 * 1024 * 1024,
  /** A file sink fdatasyncs a batch of written events at most this long after the first of them. */
  fileSyncIntervalMs: 50,
  tokenDormantAfterDays: 30,
  /** The default audit sink is a file of this name inside dataDir. */
  auditFileName: 'audit.jsonl',
  /** Traffic scrubbing: what a tool gets when neither the file's `scrub` nor the tool's says otherwise. */
  scrub: {
    responses: 'redact',
    requests: 'block',
    undecodable: 'block',
    maxRequestBodyBytes: 4 * 1024 * 1024,
    markers: 'fingerprint',
  },
  /** A bare port (`listen: 8080`) binds here: never all interfaces by accident. */
  bareListenHost: '127.0.0.1',
} as const;

/** A tool's proxy password is guarded only by a constant-time compare (no lockout, no rate limit). */
export const MIN_SECRET_LENGTH = 16;

/** Tool names appear in proxy URLs (as the Basic username) and as metric label values. */
export const TOOL_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** Upper bound for every millisecond knob: an hour. Larger values are almost always a unit mistake. */
/** Largest request body buffered for the exfiltration scan (a bigger one is refused in block mode). */
export const MAX_SCAN_BODY_BYTES = 64 * 1024 * 1024;

export const MAX_DURATION_MS = 3_600_000;
