/**
 * Turns per-round results into one table: the median over rounds for each metric, proxy beside direct,
 * and the ratio proxy/direct (for req/s and MB/s below 1 is slower; for latency above 1 is slower).
 */
import type { ColdResult } from '../scenarios/cold.js';
import type { LargeResult } from '../scenarios/large.js';
import type { LoadResult } from '../scenarios/load.js';
import type { SlowClientsResult } from '../scenarios/slow-clients.js';
import { median, roundTo } from './stats.js';

export interface RoundResult {
  readonly round: number;
  readonly load: readonly LoadResult[];
  readonly cold: readonly ColdResult[];
  readonly large: readonly LargeResult[];
}

export interface SummaryRow {
  readonly metric: string;
  readonly proxy: number | null;
  readonly direct: number | null;
  readonly ratio: number | null;
  readonly note?: string;
}

export interface ProxyMemory {
  readonly idleRssMB: number;
  readonly peakRssMB: number;
}

export interface SummaryShape {
  readonly concurrencies: readonly number[];
  readonly largeMB: number;
}

export function summarize(
  rounds: readonly RoundResult[],
  shape: SummaryShape,
  memory: ProxyMemory,
  slow: SlowClientsResult | null,
): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const connections of shape.concurrencies) rows.push(...loadRows(rounds, connections));
  rows.push(...coldRows(rounds), ...largeRows(rounds, shape.largeMB));
  rows.push(row('proxy idle RSS MB', memory.idleRssMB, null));
  rows.push(row('proxy peak RSS MB (VmHWM, before slow clients)', memory.peakRssMB, null));
  if (slow !== null) {
    const note = `fresh proxy, idle ${slow.rssBeforeMB} MB; goal < 200; clients read ${slow.clientReceivedMB} MB, backend sent ${slow.upstreamSentMB} MB`;
    rows.push({ ...row(`slow clients ${slow.clients}x${slow.megabytesEach} MB: proxy peak RSS MB`, slow.peakRssMB, null), note });
  }
  return rows;
}

function loadRows(rounds: readonly RoundResult[], connections: number): SummaryRow[] {
  const pick = (route: string, value: (result: LoadResult) => number | null): number | null =>
    median(rounds.flatMap((r) => r.load.filter((l) => l.route === route && l.connections === connections).map(value)));
  const both = (metric: string, value: (result: LoadResult) => number | null, digits: number): SummaryRow =>
    row(metric, roundTo(pick('proxy', value), digits), roundTo(pick('direct', value), digits));
  return [
    both(`c${connections} req/s`, (l) => l.rps, 0),
    both(`c${connections} p50 ms`, (l) => l.latencyMs.p50, 2),
    both(`c${connections} p99 ms`, (l) => l.latencyMs.p99, 2),
    row(`c${connections} proxy CPU us/request`, roundTo(pick('proxy', (l) => l.proxyCpuUsPerRequest), 0), null),
    {
      ...both(`c${connections} new backend connections per 1000 requests`, (l) => (l.ok > 0 ? (1000 * l.backendConnectionsOpened) / l.ok : null), 1),
      note: 'after warm-up; 0 = kept-alive pool reused',
    },
  ];
}

function coldRows(rounds: readonly RoundResult[]): SummaryRow[] {
  const pick = (route: string, value: (result: ColdResult) => number | null): number | null =>
    median(rounds.flatMap((r) => r.cold.filter((c) => c.route === route).map(value)));
  if (rounds.every((r) => r.cold.length === 0)) return [];
  const firstDirect = roundTo(pick('direct', (c) => c.firstMs.p50), 2);
  const first = roundTo(pick('proxy', (c) => c.firstMs.p50), 2);
  const again = roundTo(pick('proxy', (c) => c.againMs.p50), 2);
  return [
    { ...row('new host, first request p50 ms', first, firstDirect), note: 'fresh connection: CONNECT + mint + TLS' },
    { ...row('same hosts again p50 ms', again, firstDirect), note: 'fresh connection, certificate cached' },
    row('mint ~ first - again, ms', roundTo(first !== null && again !== null ? first - again : null, 2), null),
    row('proxy CPU ms per new host', roundTo(pick('proxy', (c) => c.proxyCpuMsPerNewHost), 2), null),
  ];
}

function largeRows(rounds: readonly RoundResult[], megabytes: number): SummaryRow[] {
  if (rounds.every((r) => r.large.length === 0)) return [];
  const pick = (route: string, value: (result: LargeResult) => number | null): number | null =>
    median(rounds.flatMap((r) => r.large.filter((l) => l.route === route).map(value)));
  return [
    row(`${megabytes} MiB download MB/s`, roundTo(pick('proxy', (l) => l.MBps), 1), roundTo(pick('direct', (l) => l.MBps), 1)),
    row('proxy CPU ms per MB downloaded', roundTo(pick('proxy', (l) => l.proxyCpuMsPerMB), 2), null),
  ];
}

function row(metric: string, proxy: number | null, direct: number | null): SummaryRow {
  const ratio = proxy !== null && direct !== null && direct !== 0 ? roundTo(proxy / direct, 2) : null;
  return { metric, proxy, direct, ratio };
}

export function markdownTable(rows: readonly SummaryRow[]): string {
  const cell = (value: number | null): string => (value === null ? '–' : String(value));
  const lines = ['| metric | proxy | direct | proxy/direct | note |', '| --- | ---: | ---: | ---: | --- |'];
  for (const r of rows) lines.push(`| ${r.metric} | ${cell(r.proxy)} | ${cell(r.direct)} | ${cell(r.ratio)} | ${r.note ?? ''} |`);
  return lines.join('\n');
}
