/**
 * `mcp-egress check-config -c FILE`: validate a config file without starting anything. Returns the lines
 * to print and the exit code, so the CLI layer only writes and exits.
 */
import { ConfigError, type ConfigIssue } from './errors.js';
import { loadConfigFile } from './load.js';
import type { Environment } from './environment.js';
import type { AuditSinkConfig, EgressConfig, HostPort } from './types.js';
import { authorityKey } from '../policy/host.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly issues: readonly ConfigIssue[];
  /** Human-readable report; never contains a secret. */
  readonly lines: readonly string[];
  /** 0 when valid, 1 when not. */
  readonly exitCode: 0 | 1;
}

export function checkConfig(path: string, env: Environment = process.env): CheckResult {
  try {
    const config = loadConfigFile(path, env);
    return { ok: true, issues: [], lines: summary(config), exitCode: 0 };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const lines = error.message.split('\n');
    return { ok: false, issues: error.issues, lines, exitCode: 1 };
  }
}

function summary(config: EgressConfig): string[] {
  const tools = [...config.tools.values()].map((tool) => {
    const rules = tool.allow.length === 1 ? '1 rule' : `${tool.allow.length} rules`;
    return `  tool ${tool.name}: mode ${tool.mode}, ${rules}, actor ${tool.actor.principal} (${tool.actor.type})`;
  });
  return [
    `Configuration OK: ${config.source ?? 'embedded default'}`,
    `  mode ${config.mode}; proxy ${address(config.listen)}; admin ${address(config.admin)}; data ${config.dataDir}`,
    ...tools,
    `  audit: ${config.audit.sinks.map(sinkSummary).join(', ')}` +
      ` (on audit failure: ${config.audit.onAuditFailure === 'closed' ? 'fail closed' : 'fail open'})`,
  ];
}

function address({ host, port }: HostPort): string {
  return authorityKey(host, port);
}

function sinkSummary(sink: AuditSinkConfig): string {
  switch (sink.type) {
    case 'file':
      return `${sink.path} (${sink.format})`;
    case 'stdout':
      return `stdout (${sink.format})`;
    case 'syslog':
      return `syslog ${sink.transport} ${sink.address.host}:${sink.address.port} (${sink.format})`;
    case 'http':
      return `http ${new URL(sink.url).origin} (${sink.format})`;
  }
}
