/**
 * The mcp-egress Grafana dashboard as code (@grafana/grafana-foundation-sdk). `npm run gen:dashboard`
 * writes it to grafana/dashboards/mcp-egress.json, which is committed; a test fails when that file is
 * stale. The datasource is a template variable (`${datasource}`), so provisioning and import both work
 * without an import-time `${DS_…}` placeholder.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { DATASOURCE } from './panels.js';
import { auditRow, latencyRow, proxyRow, secretsRow, tokensRow, trafficRow, type Row } from './rows.js';

export const DASHBOARD_UID = 'mcp-egress';

export function rows(): Row[] {
  return [trafficRow(), latencyRow(), secretsRow(), tokensRow(), auditRow(), proxyRow()];
}

function labelVariable(name: string, label: string, query: string, description: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export function buildDashboard(): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder('mcp-egress')
    .uid(DASHBOARD_UID)
    .description('Egress proxy for MCP servers: traffic and decisions per tool, secrets, tokens and attribution, audit pipeline and proxy health.')
    .tags(['mcp-egress', 'security', 'egress'])
    .editable()
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .withVariable(new dashboard.DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(labelVariable('tool', 'Tool', 'label_values(mcp_egress_requests_total, tool)', 'Configured tools; (none): refused before a tool was known.'))
    .withVariable(labelVariable('host', 'Host', 'label_values(mcp_egress_requests_total{tool=~"$tool"}, host)', 'Hosts as the policy names them; other: every host outside the policy.'));
  let id = 1;
  for (const row of rows()) {
    builder.withRow(new dashboard.RowBuilder(row.title).id(id++));
    // Stable ids keep the generated JSON identical from run to run (Grafana would otherwise assign them).
    for (const panel of row.panels) {
      panel.id(id++);
      builder.withPanel(panel);
    }
  }
  return withoutIntervalDefaults(builder.build());
}

/**
 * The SDK gives every variable the interval variable's `auto`, `auto_min` and `auto_count` defaults;
 * @grafana/schema declares them for no variable type, and Grafana ignores them elsewhere: dropped, so the
 * JSON type-checks against the schema (test/unit/grafana/dashboard.test.ts).
 */
function withoutIntervalDefaults(built: dashboard.Dashboard): dashboard.Dashboard {
  for (const variable of built.templating?.list ?? []) {
    if (variable.type === 'interval') continue;
    delete variable.auto;
    delete variable.auto_min;
    delete variable.auto_count;
  }
  return built;
}

/** The committed file's exact text. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

interface DashboardJson {
  readonly panels?: readonly { readonly title?: string; readonly targets?: readonly { readonly expr?: string }[] }[];
}

/** Every Prometheus expression the panels of a dashboard JSON run (the committed file, in tests). */
export function panelQueries(json: DashboardJson): PanelQuery[] {
  return (json.panels ?? []).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) => (target.expr === undefined ? [] : [{ panel: panel.title ?? '', expr: target.expr }])),
  );
}
