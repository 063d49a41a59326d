/**
 * The dashboard's rows, one per operator question: what is each tool doing and what was refused; how
 * long it takes; did a secret try to leave or come back; which tokens and who (human or automation);
 * is the audit trail whole; is the proxy itself well.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { ANY_IS_BAD, ANY_IS_NOTABLE, barsPanel, HOST, statPanel, timeseriesPanel, TOOL } from './panels.js';

export interface Row {
  readonly title: string;
  /** Panel builders; the dashboard gives each a stable id. */
  readonly panels: readonly (cog.Builder<dashboard.Panel> & { id(id: number): unknown })[];
}

const RATE = '$__rate_interval';
const RANGE = '$__range';
// Counted over the time range. A series born within it (kind-labelled series appear on first use) counts
// whole: increase() cannot see a counter's first value, so a first secret would otherwise show as none.
const inRange = (series: string): string => `(${series} unless ${series} offset ${RANGE}) or increase(${series}[${RANGE}])`;
const sel = (...matchers: string[]): string => `{${matchers.join(',')}}`;
const quantile = (q: number, metric: string, by: string, matchers: string[]): string =>
  `histogram_quantile(${q}, sum by (le${by === '' ? '' : `, ${by}`}) (rate(${metric}_bucket${sel(...matchers)}[${RATE}])))`;

export function trafficRow(): Row {
  const requests = `mcp_egress_requests_total${sel(TOOL, HOST)}`;
  return {
    title: 'Traffic and decisions',
    panels: [
      statPanel({ title: 'Requests', description: 'Requests per second through the proxy (tool and host filters apply).', unit: 'reqps', queries: [[`sum(rate(${requests}[${RATE}]))`, 'requests']], width: 6 }),
      statPanel({
        title: 'Denied share',
        description: 'Share of requests refused (decision deny) over the time range. Report-mode would_deny is not counted here.',
        unit: 'percentunit',
        queries: [[`sum(${inRange(`mcp_egress_requests_total${sel(TOOL, HOST, 'decision="deny"')}`)}) / sum(${inRange(requests)})`, 'denied']],
        steps: [[null, 'green'], [0.05, 'yellow'], [0.25, 'red']],
        width: 6,
      }),
      statPanel({
        title: 'Would be denied (report mode)',
        description: 'Requests report mode let through that enforce mode would refuse, over the time range.',
        unit: 'short',
        queries: [[`sum(${inRange(`mcp_egress_requests_total${sel(TOOL, HOST, 'decision="would_deny"')}`)})`, 'would_deny']],
        steps: ANY_IS_NOTABLE,
        width: 6,
      }),
      statPanel({ title: 'Upstream errors', description: 'Requests that failed talking to an upstream (DNS, connect, TLS, reset, timeout) over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_upstream_errors_total${sel(TOOL)}`)})`, 'errors']], steps: ANY_IS_NOTABLE, width: 6 }),
      timeseriesPanel({ title: 'Requests by tool and decision', description: 'allow: forwarded; deny: refused; would_deny: report mode forwarded what enforce would refuse.', unit: 'reqps', queries: [[`sum by (tool, decision) (rate(${requests}[${RATE}]))`, '{{tool}} {{decision}}']] }, true),
      timeseriesPanel({ title: 'Requests by host', description: 'Hosts as the policy names them (exact host or *.suffix); every other host is "other".', unit: 'reqps', queries: [[`sum by (host) (rate(${requests}[${RATE}]))`, '{{host}}']] }, true),
      timeseriesPanel({ title: 'Responses by status class', description: 'Status classes of the responses tools received (from upstreams or the proxy\'s own refusals); none: no response (client gone).', unit: 'reqps', queries: [[`sum by (status_class) (rate(${requests}[${RATE}]))`, '{{status_class}}']] }, true),
      barsPanel({ title: 'Denials by reason', description: 'What was refused (deny) or would be (would_deny), by tool and reason code, over the time range. Reason codes: README error table.', unit: 'short', queries: [[`sum by (tool, decision, reason) (${inRange(`mcp_egress_denials_total${sel(TOOL)}`)}) > 0`, '{{tool}} {{decision}} {{reason}}']] }),
    ],
  };
}

export function latencyRow(): Row {
  return {
    title: 'Latency',
    panels: [
      timeseriesPanel({
        title: 'Request duration',
        description: 'From request received to response finished, including the upstream. Quantiles estimated from histogram buckets.',
        unit: 's',
        queries: [0.5, 0.95, 0.99].map((q) => [quantile(q, 'mcp_egress_request_duration_seconds', '', [TOOL]), `p${q * 100}`] as const),
        steps: [[null, 'green'], [1, 'yellow'], [5, 'red']],
      }),
      timeseriesPanel({ title: 'Upstream duration by host (p95)', description: 'Time spent waiting on the upstream, by host as the policy names it.', unit: 's', queries: [[quantile(0.95, 'mcp_egress_upstream_duration_seconds', 'host', [TOOL, HOST]), '{{host}}']], steps: [[null, 'green'], [1, 'yellow'], [5, 'red']] }),
      timeseriesPanel({ title: 'Mean request duration by tool', description: 'Average time per request, by tool.', unit: 's', queries: [[`sum by (tool) (rate(mcp_egress_request_duration_seconds_sum${sel(TOOL)}[${RATE}])) / sum by (tool) (rate(mcp_egress_request_duration_seconds_count${sel(TOOL)}[${RATE}]))`, '{{tool}}']] }),
      timeseriesPanel({ title: 'Request duration by decision (p95)', description: 'Refusals are answered locally and should stay fast; allowed requests include the upstream.', unit: 's', queries: [[quantile(0.95, 'mcp_egress_request_duration_seconds', 'decision', [TOOL]), '{{decision}}']] }),
    ],
  };
}

export function secretsRow(): Row {
  return {
    title: 'Secrets',
    panels: [
      statPanel({ title: 'Exfiltration attempts', description: 'Requests carrying a secret the tool may not send there (blocked, or let through in report mode), over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_exfiltration_blocks_total${sel(TOOL)}`)})`, 'attempts']], steps: ANY_IS_BAD, width: 6 }),
      statPanel({ title: 'Secrets scrubbed from responses', description: 'Secrets a backend returned that the proxy replaced before the tool saw them, over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_scrub_findings_total${sel(TOOL, 'direction="response"', 'action="redacted"')}`)})`, 'redacted']], steps: ANY_IS_NOTABLE, width: 6 }),
      statPanel({ title: 'Secrets scrubbed from logs', description: 'Secrets the line scrubber replaced in process logs and audit lines, over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_redactions_total{location="log"}`)})`, 'redacted']], steps: ANY_IS_NOTABLE, width: 6 }),
      statPanel({ title: 'Secrets redacted from requests', description: 'Secrets replaced in requests (scrub.requests: redact) before they left, over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_scrub_findings_total${sel(TOOL, 'direction="request"', 'action="redacted"')}`)})`, 'redacted']], steps: ANY_IS_NOTABLE, width: 6 }),
      timeseriesPanel({ title: 'Exfiltration attempts by tool', description: 'blocked: refused with 403 exfiltration; would_block: report mode let the secret through.', unit: 'reqps', queries: [[`sum by (tool, action) (rate(mcp_egress_exfiltration_blocks_total${sel(TOOL)}[${RATE}]))`, '{{tool}} {{action}}']], steps: [[null, 'green'], [0.001, 'red']] }),
      timeseriesPanel({ title: 'Redactions by kind and location', description: 'Secrets replaced by a marker, by pattern kind and where: request, response, or log (process and audit lines).', unit: 'ops', queries: [[`sum by (kind, location) (rate(mcp_egress_redactions_total[${RATE}]))`, '{{kind}} in {{location}}']] }),
      barsPanel({ title: 'Secret findings by kind', description: 'Every secret found in traffic over the time range, by kind and what was done (redacted, blocked, would_block).', unit: 'short', queries: [[`sum by (kind, action) (${inRange(`mcp_egress_scrub_findings_total${sel(TOOL)}`)}) > 0`, '{{kind}} {{action}}']] }),
      timeseriesPanel({ title: 'Bodies by scrub handling', description: 'How bodies were treated: scanned, binary (passed), undecodable, too_large, off.', unit: 'ops', queries: [[`sum by (direction, handling) (rate(mcp_egress_scrub_bodies_total[${RATE}]))`, '{{direction}} {{handling}}']] }, true),
    ],
  };
}

export function tokensRow(): Row {
  const signal = (name: string): string => `sum(${inRange(`mcp_egress_token_signals_total{signal="${name}"}`)})`;
  return {
    title: 'Tokens and attribution',
    panels: [
      statPanel({ title: 'Shared tokens', description: 'Tokens that became used by more than one tool or principal, over the time range (audit alert events name them by fingerprint).', unit: 'short', queries: [[signal('shared_token'), 'shared']], steps: ANY_IS_BAD, width: 6 }),
      statPanel({ title: 'Expired tokens used', description: 'Uses of tokens past their expiry (JWT exp), over the time range.', unit: 'short', queries: [[signal('expired_token_used'), 'expired']], steps: ANY_IS_NOTABLE, width: 6 }),
      statPanel({ title: 'Dormant tokens reused', description: 'Tokens used again after a dormant period (tokens.dormantAfterDays), over the time range.', unit: 'short', queries: [[signal('dormant_token_reused'), 'dormant']], steps: ANY_IS_NOTABLE, width: 6 }),
      statPanel({ title: 'New tokens', description: 'Tokens seen for the first time, over the time range.', unit: 'short', queries: [[signal('new_token'), 'new']], width: 6 }),
      timeseriesPanel({ title: 'Requests by actor type', description: 'Who is behind the traffic: human or automation, from configuration, launch attestation, token kind and JWT subject.', unit: 'reqps', queries: [[`sum by (actor_type) (rate(mcp_egress_actor_requests_total${sel(TOOL)}[${RATE}]))`, '{{actor_type}}']] }, true),
      timeseriesPanel({ title: 'Credentials sent by kind', description: 'Credentials tools send upstream, by token kind and the actor type of the request.', unit: 'ops', queries: [[`sum by (kind, actor_type) (rate(mcp_egress_credentials_seen_total[${RATE}]))`, '{{kind}} ({{actor_type}})']] }),
      timeseriesPanel({ title: 'Token signals', description: 'Token inventory signals over time.', unit: 'ops', queries: [[`sum by (signal) (rate(mcp_egress_token_signals_total[${RATE}]))`, '{{signal}}']] }),
      timeseriesPanel({ title: 'Attribution conflicts', description: 'Requests whose evidence disagreed (e.g. a human-configured tool sending an app installation token), by tool.', unit: 'reqps', queries: [[`sum by (tool) (rate(mcp_egress_actor_conflicts_total${sel(TOOL)}[${RATE}]))`, '{{tool}}']], steps: [[null, 'green'], [0.001, 'orange']] }),
    ],
  };
}

export function auditRow(): Row {
  return {
    title: 'Audit pipeline health',
    panels: [
      statPanel({ title: 'Audit lines refused', description: 'Audit lines a sink refused over the time range. With every sink refusing, the proxy refuses traffic (onAuditFailure: closed).', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_audit_writes_total{result="failed"}`)})`, 'failed']], steps: ANY_IS_BAD, width: 6 }),
      statPanel({ title: 'Audit events lost', description: 'Events no sink accepted (onAuditFailure: open) over the time range: missing from every audit trail.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_audit_lost_events_total`)})`, 'lost']], steps: ANY_IS_BAD, width: 6 }),
      statPanel({ title: 'Spooled events', description: 'Events network sinks hold for a receiver that has not acknowledged them yet.', unit: 'short', queries: [['sum(mcp_egress_audit_spooled_events)', 'spooled']], steps: [[null, 'green'], [1, 'yellow'], [1000, 'red']], width: 6 }),
      statPanel({ title: 'Receivers reachable', description: 'Per sink type: 1 when every sink of the type reaches its receiver.', unit: 'bool_yes_no', queries: [['min by (sink) (mcp_egress_audit_sink_connected)', '{{sink}}']], steps: [[null, 'red'], [1, 'green']], width: 6 }),
      timeseriesPanel({ title: 'Audit writes by sink and result', description: 'Lines handed to each sink type: accepted (written or spooled) or failed.', unit: 'ops', queries: [[`sum by (sink, result) (rate(mcp_egress_audit_writes_total[${RATE}]))`, '{{sink}} {{result}}']] }),
      timeseriesPanel({ title: 'Spool depth by sink', description: 'Events and bytes waiting for a receiver, by sink type (the spool is bounded: see spool.maxBytes).', unit: 'bytes', queries: [['sum by (sink) (mcp_egress_audit_spooled_bytes)', '{{sink}}']] }),
    ],
  };
}

export function proxyRow(): Row {
  return {
    title: 'Proxy health',
    panels: [
      statPanel({ title: 'Open tunnels', description: 'CONNECT tunnels open now.', unit: 'short', queries: [['sum(mcp_egress_open_tunnels)', 'tunnels']] }),
      statPanel({ title: 'Open connections', description: 'Client connections to the proxy port open now.', unit: 'short', queries: [['sum(mcp_egress_open_connections)', 'connections']] }),
      statPanel({ title: 'Policy reload failures', description: 'Reloads refused (the running configuration was kept), over the time range.', unit: 'short', queries: [[`sum(${inRange(`mcp_egress_policy_reloads_total{result="failure"}`)})`, 'failures']], steps: ANY_IS_BAD }),
      timeseriesPanel({ title: 'Certificate minting (p95)', description: 'Time to mint an interception leaf certificate on a cache miss; a slow mint delays the first handshake to each host.', unit: 's', queries: [[quantile(0.95, 'mcp_egress_cert_mint_duration_seconds', '', []), 'p95']], steps: [[null, 'green'], [0.5, 'red']] }),
      timeseriesPanel({ title: 'Running policy and build', description: 'Tools configured, and which policy (mode, hash) and build run: a change of label marks a reload or a deploy.', unit: 'short', queries: [['max by (mode, config_hash) (mcp_egress_policy_info) * on () group_left max(mcp_egress_policy_tools)', 'tools ({{mode}}, policy {{config_hash}})'], ['max by (version) (mcp_egress_build_info)', 'build {{version}}']] }),
      timeseriesPanel({ title: 'CPU', description: 'Process CPU time per second (1 = one core).', unit: 'percentunit', queries: [[`sum(rate(mcp_egress_process_cpu_seconds_total[${RATE}]))`, 'cpu']] }),
      timeseriesPanel({ title: 'Memory', description: 'Resident memory and the V8 heap in use.', unit: 'bytes', queries: [['sum(mcp_egress_process_resident_memory_bytes)', 'resident'], ['sum(mcp_egress_nodejs_heap_size_used_bytes)', 'heap used']] }),
      timeseriesPanel({ title: 'Event loop delay (p99)', description: 'How late timers fire; above 100 ms every request waits.', unit: 's', queries: [['max(mcp_egress_nodejs_eventloop_lag_p99_seconds)', 'p99']], steps: [[null, 'green'], [0.1, 'red']] }),
    ],
  };
}
