/**
 * The names the metrics may use, derived from a configuration: the tool names, the allow-rule host
 * patterns as written, the global mode, and a short hash that tells two policies apart on a dashboard.
 * The hash covers only the policy (tools, actors, modes, rules, scrub settings): never a proxy secret,
 * so the label cannot help anyone guess one.
 */
import { createHash } from 'node:crypto';
import type { EgressConfig, ToolConfig } from '../config/types.js';

export interface PolicyLabels {
  readonly tools: readonly string[];
  /** Allow-rule hosts as the policy writes them: exact hosts and `*.suffix` patterns. */
  readonly hosts: readonly string[];
  /** For mcp_egress_policy_info; `unknown` when absent. */
  readonly mode?: string;
  readonly configHash?: string;
}

const HASH_HEX_CHARS = 12;

export function policyLabels(config: EgressConfig): Required<PolicyLabels> {
  const tools = [...config.tools.values()];
  const hosts = [...new Set(tools.flatMap((tool) => tool.allow.map((rule) => rule.host)))].sort();
  const view = { mode: config.mode, tools: tools.map(policyView).sort((a, b) => a.name.localeCompare(b.name)) };
  const configHash = createHash('sha256').update(JSON.stringify(view)).digest('hex').slice(0, HASH_HEX_CHARS);
  return { tools: tools.map((tool) => tool.name).sort(), hosts, mode: config.mode, configHash };
}

// Field by field: ToolConfig also holds the tool's proxy secret, which must not feed the hash.
function policyView(tool: ToolConfig) {
  return { name: tool.name, mode: tool.mode, actor: tool.actor, allow: tool.allow, scrub: tool.scrub };
}
