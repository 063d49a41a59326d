/**
 * The workloads of `npm run bench:scrub` and the probes that check, before anything is measured, that each
 * proxy does what its config says (otherwise a ratio would compare the wrong things):
 *   - scrub on decodes a gzip response and sends identity; scrub off and direct pass gzip through;
 *   - no route changes a body (the realistic payloads hold no secret: a difference is a false positive);
 *   - a request body carrying a GitLab token is refused (403) with requests: block, passed with off.
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { RequestSpec, Route } from '../lib/clients.js';
import { commentRequestJson } from './scrub-payloads.js';

export type Variant = 'on' | 'off' | 'direct';

export interface Workload {
  readonly name: string;
  readonly what: string;
  readonly request: RequestSpec;
}

export interface WorkloadShape {
  readonly origin: string;
  readonly jsonKB: number;
  readonly postKB: number;
}

export const WORKLOAD_NAMES = ['small', 'json', 'json-gzip', 'post'] as const;

export function workloads(shape: WorkloadShape, names: readonly string[]): Workload[] {
  const postBody = commentRequestJson(shape.postKB * 1024);
  const all: Workload[] = [
    { name: 'small', what: 'GET /small, ~200 B JSON', request: { origin: shape.origin, path: '/small' } },
    { name: 'json', what: `GET /json, ~${shape.jsonKB} KiB issue-list JSON`, request: { origin: shape.origin, path: `/json?kb=${shape.jsonKB}` } },
    {
      name: 'json-gzip',
      what: `GET /json, ~${shape.jsonKB} KiB JSON, gzip`,
      request: { origin: shape.origin, path: `/json?kb=${shape.jsonKB}`, headers: { 'accept-encoding': 'gzip' } },
    },
    {
      name: 'post',
      what: `POST /ingest, ${(postBody.length / 1024).toFixed(1)} KiB JSON body, small JSON answer`,
      request: { origin: shape.origin, path: '/ingest', method: 'POST', body: postBody },
    },
  ];
  return all.filter((workload) => names.includes(workload.name));
}

interface Reply {
  readonly status: number;
  readonly contentEncoding: string | null;
  readonly wireBytes: number;
  readonly decoded: Buffer;
}

async function fetchOnce(route: Route, spec: RequestSpec): Promise<Reply> {
  const dispatcher: Dispatcher = route.dispatcher(1);
  try {
    const headers = { ...spec.headers, ...(spec.body === undefined ? {} : { 'content-type': 'application/json' }) };
    const response = await dispatcher.request({
      origin: spec.origin, path: spec.path, method: spec.method ?? 'GET', headers, ...(spec.body === undefined ? {} : { body: spec.body }),
    });
    const wire = Buffer.from(await response.body.arrayBuffer());
    const coding = response.headers['content-encoding'];
    const contentEncoding = typeof coding === 'string' ? coding : null;
    return { status: response.statusCode, contentEncoding, wireBytes: wire.length, decoded: contentEncoding === 'gzip' ? gunzipSync(wire) : wire };
  } finally {
    await dispatcher.close();
  }
}

export interface ProbeResult {
  readonly workload: string;
  readonly variant: Variant;
  readonly status: number;
  readonly contentEncoding: string | null;
  readonly wireBytes: number;
  readonly decodedBytes: number;
  /** The decoded body equals direct's: nothing was redacted (a difference = a false positive). */
  readonly sameAsDirect: boolean;
  readonly expected: string;
  readonly ok: boolean;
}

/** One request per workload and route; `ok` when status, coding and body are what the variant implies. */
export async function probeWorkloads(routes: ReadonlyMap<Variant, Route>, list: readonly Workload[]): Promise<ProbeResult[]> {
  const results: ProbeResult[] = [];
  for (const workload of list) {
    const replies = new Map<Variant, Reply>();
    for (const [variant, route] of routes) replies.set(variant, await fetchOnce(route, workload.request));
    const reference = replies.get('direct');
    for (const [variant, reply] of replies) {
      const gzipAsked = workload.request.headers?.['accept-encoding'] === 'gzip';
      const wantCoding = gzipAsked && variant !== 'on' ? 'gzip' : null;
      const sameAsDirect = reference !== undefined && reply.decoded.equals(reference.decoded);
      results.push({
        workload: workload.name, variant, status: reply.status, contentEncoding: reply.contentEncoding, wireBytes: reply.wireBytes,
        decodedBytes: reply.decoded.length, sameAsDirect, expected: `200, ${wantCoding ?? 'identity'}, body as direct`,
        ok: reply.status === 200 && reply.contentEncoding === wantCoding && sameAsDirect,
      });
    }
  }
  return results;
}

export interface ExfiltrationProbe {
  readonly variant: Variant;
  readonly status: number;
  readonly expected: number;
  readonly ok: boolean;
}

/**
 * A comment body carrying a GitLab token (random per run, never printed) sent to the ingest endpoint:
 * requests: block must refuse it (403 exfiltration) before a byte leaves; requests: off must pass it.
 */
export async function probeExfiltration(routes: ReadonlyMap<Variant, Route>, origin: string): Promise<ExfiltrationProbe[]> {
  const token = `glpat-${randomBytes(15).toString('base64url')}`;
  const body = Buffer.from(JSON.stringify({ body: `CI is red again, can you try with GITLAB_TOKEN=${token} please` }));
  const probes: ExfiltrationProbe[] = [];
  for (const [variant, route] of routes) {
    const reply = await fetchOnce(route, { origin, path: '/ingest', method: 'POST', body });
    const expected = variant === 'on' ? 403 : 200;
    probes.push({ variant, status: reply.status, expected, ok: reply.status === expected });
  }
  return probes;
}
