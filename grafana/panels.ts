/**
 * Panel helpers for the mcp-egress dashboard: every panel reads from the `${datasource}` variable, has a
 * unit and a description, and its queries are Prometheus expressions over the metric catalogue
 * (src/telemetry/catalogue.ts). Each helper takes `[expr, legend]` pairs so the test can read every query.
 */
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE: dashboard.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
/** The dashboard's tool and host filters, for queries on metrics that carry those labels. */
export const TOOL = 'tool=~"$tool"';
export const HOST = 'host=~"$host"';

export type Query = readonly [expr: string, legend: string];
/** Threshold steps as `[from, color]`; the first step starts at minus infinity (null). */
export type Steps = readonly (readonly [number | null, string])[];

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly steps?: Steps;
  readonly width?: number;
  readonly height?: number;
}

// Green until something happened: counts of events that should not happen at all.
export const ANY_IS_BAD: Steps = [
  [null, 'green'],
  [1, 'red'],
];
export const ANY_IS_NOTABLE: Steps = [
  [null, 'green'],
  [1, 'orange'],
];

function targets(queries: readonly Query[], instant: boolean): prometheus.DataqueryBuilder[] {
  return queries.map(([expr, legend], index) => {
    const query = new prometheus.DataqueryBuilder()
      .datasource(DATASOURCE)
      .expr(expr)
      .legendFormat(legend)
      .refId(String.fromCharCode(65 + index));
    return instant ? query.instant() : query.range();
  });
}

function thresholds(steps: Steps): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

const NEUTRAL: Steps = [[null, 'green']];

/** A single number over the dashboard's time range (or the latest value of a gauge). */
export function statPanel(spec: PanelSpec): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .withTarget(targets(spec.queries, true)[0]!)
    .unit(spec.unit)
    .thresholds(thresholds(spec.steps ?? NEUTRAL))
    .colorMode(common.BigValueColorMode.Background)
    .graphMode(common.BigValueGraphMode.None)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .noValue('0')
    .height(spec.height ?? 4)
    .span(spec.width ?? 4);
}

/** Series over time; `stacked` for parts of a whole (decisions, actor types). */
export function timeseriesPanel(spec: PanelSpec, stacked = false): timeseries.PanelBuilder {
  const panel = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .targets(targets(spec.queries, false))
    .unit(spec.unit)
    .min(0)
    .thresholds(thresholds(spec.steps ?? NEUTRAL))
    .fillOpacity(stacked ? 40 : 10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
    .height(spec.height ?? 8)
    .span(spec.width ?? 12);
  if (spec.steps !== undefined) panel.thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  return stacked ? panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)) : panel;
}

/** Totals per label over the dashboard's time range, largest first. */
export function barsPanel(spec: PanelSpec): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .targets(targets(spec.queries, true))
    .unit(spec.unit)
    .min(0)
    .thresholds(thresholds(spec.steps ?? NEUTRAL))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .noValue('none')
    .height(spec.height ?? 8)
    .span(spec.width ?? 12);
}
