/**
 * The committed dashboard (grafana/dashboards/mcp-egress.json): it is exactly what grafana/dashboard.ts
 * generates, it type-checks against @grafana/schema's Dashboard (through the TypeScript compiler, as an
 * object literal, so unknown keys, missing required keys, wrong types and invalid enum values all fail),
 * and every metric its panels query exists in the telemetry catalogue.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { panelQueries, renderDashboard } from '../../../grafana/dashboard.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const JSON_PATH = fileURLToPath(new URL('../../../grafana/dashboards/mcp-egress.json', import.meta.url));
const committed = readFileSync(JSON_PATH, 'utf8');
const dashboard = JSON.parse(committed) as {
  panels: { type: string; title: string; description?: string; fieldConfig?: { defaults?: { unit?: string } } }[];
  templating: { list: { name: string; type: string; query?: unknown; datasource?: unknown }[] };
};

type Broken = Record<string, unknown>;

/** Type-checks `source` as a module next to this test (so @grafana/schema resolves); returns the diagnostics. */
function typeCheck(source: string): string[] {
  const file = join(HERE, '__dashboard-schema-check.ts');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.fileExists = (name) => name === file || ts.sys.fileExists(name);
  host.getSourceFile = (name, version) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

// String enums (ThresholdsMode, …) accept their values as plain strings, as they appear in JSON.
const SCHEMA_CHECK = (json: string): string => `import type { Dashboard } from '@grafana/schema';
type Loose<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Loose<U>[] : T extends object ? { [K in keyof T]: Loose<T[K]> } : T;
export const dashboard: Loose<Dashboard> = ${json};
`;

describe('the committed dashboard JSON', () => {
  it('is what grafana/dashboard.ts generates', () => {
    expect(committed === renderDashboard(), 'grafana/dashboards/mcp-egress.json is stale: run `npm run gen:dashboard` and commit it').toBe(true);
  });

  it("type-checks as @grafana/schema's Dashboard", () => {
    expect(typeCheck(SCHEMA_CHECK(committed))).toEqual([]);
  }, 60_000);

  it.each([
    ['a missing required key', (d: Broken): unknown => delete d.schemaVersion, /schemaVersion/],
    ['an unknown key', (d: Broken): unknown => (d.panelz = []), /panelz/],
    ['an invalid enum value', (d: Broken): unknown => ((d.panels as Broken[])[2]!.fieldConfig as { defaults: { thresholds: { mode: string } } }).defaults.thresholds.mode = 'absolut', /absolut/],
    ['a wrong type', (d: Broken): unknown => (d.editable = 'yes'), /editable|string/],
  ] as const)('the schema check rejects %s', (_what, breakIt, problem) => {
    const broken = JSON.parse(committed) as Broken;
    breakIt(broken);
    expect(typeCheck(SCHEMA_CHECK(JSON.stringify(broken))).join('\n')).toMatch(problem);
  }, 60_000);

  it('takes its datasource from a variable, with tool and host variables', () => {
    expect(committed).not.toContain('${DS_');
    const variables = Object.fromEntries(dashboard.templating.list.map((v) => [v.name, v]));
    expect(variables.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(variables.tool).toMatchObject({ type: 'query', query: expect.stringMatching(/^label_values\(mcp_egress_\w+, tool\)$/) });
    expect(variables.host).toMatchObject({ type: 'query', query: expect.stringMatching(/^label_values\(mcp_egress_\w+\{tool=~"\$tool"\}, host\)$/) });
  });

  it('has the operator rows, and every panel a unit and a description', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'Traffic and decisions',
      'Latency',
      'Secrets',
      'Tokens and attribution',
      'Audit pipeline health',
      'Proxy health',
    ]);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.description, panel.title).toBeTruthy();
      expect(panel.fieldConfig?.defaults?.unit, panel.title).toBeTruthy();
    }
  });

  it('queries only metrics the catalogue declares', async () => {
    const registry = new Registry();
    createMetrics({ registry, version: 'test', tools: ['reader'], hosts: ['api.example.test'] });
    const declared = new Set<string>();
    for (const metric of await registry.getMetricsAsJSON()) {
      declared.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) declared.add(metric.name + suffix);
    }
    const queries = panelQueries(dashboard);
    expect(queries.length).toBeGreaterThan(30);
    const used = queries.flatMap(({ panel, expr }) => [...expr.matchAll(/\bmcp_egress_[a-z0-9_]+/g)].map((m) => ({ panel, name: m[0] })));
    expect(used.filter(({ name }) => !declared.has(name))).toEqual([]);
  });
});
