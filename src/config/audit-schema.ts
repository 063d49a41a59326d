/**
 * The `audit` and `tokens` sections of the config file: where audit events go, in which format, what
 * happens when none can be recorded, and how the token inventory judges dormancy. Strict like the rest
 * of the schema (schema.ts): a misspelt key fails instead of silently falling back.
 */
import { z } from 'zod';
import { ENV_NAME, strictObject } from './schema-parts.js';
import { DEFAULTS, MAX_DURATION_MS, MIN_SECRET_LENGTH } from './default.js';

const MIB = 1024 * 1024;

const FormatSchema = z
  .enum(['native', 'ocsf', 'ecs'])
  .default('native')
  .meta({ description: 'native: our versioned schema (mcp-egress.audit/1). ocsf: OCSF 1.x HTTP Activity. ecs: Elastic Common Schema.' });

const SpoolSchema = strictObject({
  maxBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(64 * 1024 * MIB)
    .default(DEFAULTS.spoolMaxBytes)
    .meta({ description: 'Bound of the on-disk spool for this sink; when it is full the sink cannot accept events.' }),
});

// A host name or IP literal and a port: "siem.example.com:6514", "127.0.0.1:2514", "[::1]:2514".
const RemoteAddressSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):[0-9]{1,5}$/, 'expected "host:port" or "[ipv6]:port"')
  .meta({ description: 'Receiver address, "host:port" or "[ipv6]:port".' });

const CaSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .optional()
  .meta({ description: 'Extra CA bundle(s) for the receiver, added to the system roots (verification is always on).' });

const FileSinkSchema = strictObject({
  type: z.literal('file'),
  path: z.string().min(1),
  format: FormatSchema,
  maxBytes: z
    .number()
    .int()
    .min(MIB)
    .optional()
    .meta({ description: 'Rotate (rename to <path>.<timestamp>, reopen) when the file would grow past this size.' }),
  syncIntervalMs: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(DEFAULTS.fileSyncIntervalMs)
    .meta({ description: 'Longest wait before a written batch is fdatasync-ed (0: sync after every write batch).' }),
});

const StdoutSinkSchema = strictObject({ type: z.literal('stdout'), format: FormatSchema });

const SyslogSinkSchema = strictObject({
  type: z.literal('syslog'),
  transport: z
    .enum(['tcp', 'tls', 'relp'])
    .meta({ description: 'tcp and tls: RFC 5424 with octet-counting framing (RFC 6587). relp: acknowledged, resends what was not acknowledged.' }),
  address: RemoteAddressSchema,
  ca: CaSchema,
  serverName: z.string().min(1).optional().meta({ description: 'TLS server name to verify (defaults to the address host).' }),
  facility: z.number().int().min(0).max(23).default(13).meta({ description: 'Syslog facility code (13: log audit).' }),
  appName: z.string().regex(/^[\x21-\x7e]{1,48}$/).default('mcp-egress'),
  format: FormatSchema,
  spool: SpoolSchema.prefault({}),
});

const HttpSinkSchema = strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/ }).meta({ description: 'Splunk HEC endpoint, e.g. https://splunk:8088/services/collector/event.' }),
  tokenEnv: z.string().regex(ENV_NAME, 'expected an environment variable name').optional(),
  tokenFile: z.string().min(1).optional().meta({ description: `File (mode 0600) holding the HEC token (at least ${MIN_SECRET_LENGTH} characters).` }),
  ca: CaSchema,
  batchSize: z.number().int().min(1).max(10_000).default(100),
  flushIntervalMs: z.number().int().min(1).max(MAX_DURATION_MS).default(1000),
  format: FormatSchema,
  spool: SpoolSchema.prefault({}),
}).superRefine((sink, ctx) => {
  const sources = [sink.tokenEnv, sink.tokenFile].filter((source) => source !== undefined).length;
  if (sources !== 1) ctx.addIssue({ code: 'custom', message: 'set exactly one of "tokenEnv" and "tokenFile" (the HEC token)', input: sink });
});

export const AuditSinkFileSchema = z.discriminatedUnion('type', [FileSinkSchema, StdoutSinkSchema, SyslogSinkSchema, HttpSinkSchema]);
export type AuditSinkFile = z.output<typeof AuditSinkFileSchema>;

export const AuditSchema = strictObject({
  sinks: z
    .array(AuditSinkFileSchema)
    .min(1, 'list at least one sink, or leave "sinks" out for the default file in dataDir')
    .optional()
    .meta({ description: `Defaults to one file sink at <dataDir>/${DEFAULTS.auditFileName}.` }),
  onAuditFailure: z
    .enum(['closed', 'open'])
    .default(DEFAULTS.onAuditFailure)
    .meta({ description: 'When no sink can accept an event: refuse new requests (closed) or keep serving and count every lost event (open).' }),
});

export const TokensSchema = strictObject({
  dormantAfterDays: z
    .number()
    .min(1)
    .max(3650)
    .default(DEFAULTS.tokenDormantAfterDays)
    .meta({ description: 'A token unused for this long is reported (dormant_token_reused) when it is used again.' }),
});
