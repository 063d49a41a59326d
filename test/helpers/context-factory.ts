/**
 * Request contexts for unit tests of the runner and the audit event: a real http.IncomingMessage (over an
 * unconnected socket, so nothing is dialled) carrying the method, URL and headers a client would send,
 * and the lifecycle parts (identity, target, decision, …) filled in as the stages would fill them.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Decision } from '../../src/policy/types.js';
import type { Identity, RequestContext, Target, TunnelInfo } from '../../src/pipeline/context.js';

export const STARTED_AT = new Date('2025-03-04T05:06:07.089Z');
export const START_NS = 1_000_000_000n;

export interface RequestShape {
  readonly method?: string;
  readonly url?: string;
  /** Header lines in the order sent; repeated names stay repeated in rawHeaders. */
  readonly headers?: readonly (readonly [string, string])[];
}

/** A real IncomingMessage as Node's parser would leave it (headers lower-cased, rawHeaders as sent). */
export function incomingRequest(shape: RequestShape = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = shape.method ?? 'GET';
  req.url = shape.url ?? 'http://api.example.test/v1/items';
  const lines = shape.headers ?? [['Host', 'api.example.test']];
  req.rawHeaders = lines.flatMap(([name, value]) => [name, value]);
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) {
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
  }
  req.headers = headers;
  return req;
}

export interface ContextShape extends RequestShape {
  readonly kind?: RequestContext['kind'];
  readonly tunnel?: TunnelInfo | null;
  readonly requestId?: string;
}

export function requestContext(shape: ContextShape = {}): RequestContext {
  const req = incomingRequest(shape);
  return {
    requestId: shape.requestId ?? 'req-0001',
    kind: shape.kind ?? 'request',
    client: { address: '127.0.0.1', port: 50_123 },
    tunnel: shape.tunnel ?? null,
    method: req.method ?? 'GET',
    rawTarget: req.url ?? '',
    timings: { startedAt: STARTED_AT, startNs: START_NS },
    req,
    res: null,
    upgradeHead: null,
    credentials: [],
    requestBytes: 0,
  };
}

export function toolIdentity(tool = 'reader'): Identity {
  return { tool, actor: { principal: `${tool}@example.test`, type: 'automation', source: 'config' } };
}

export function httpsTarget(overrides: Partial<Target> = {}): Target {
  return {
    scheme: 'https',
    host: 'api.example.test',
    port: 443,
    path: '/v1/items',
    pathAmbiguous: false,
    query: '',
    requestTarget: '/v1/items',
    ...overrides,
  };
}

export function allowDecision(overrides: Partial<Decision> = {}): Decision {
  return { action: 'allow', mode: 'enforce', reason: 'rule_matched', ruleId: 'reader#0', ...overrides };
}
