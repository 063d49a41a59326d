/**
 * The public error contract: every code in the catalogue is documented in the README with its status and
 * class, every policy deny reason and destination refusal is a catalogue code, and the mapper gives
 * clients the code and request id only.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DESTINATION_REASONS } from '../../../src/destination/resolve.js';
import { ERROR_CATALOGUE, isReasonCode } from '../../../src/errors/catalogue.js';
import { errorReply, rawErrorReply } from '../../../src/errors/map.js';
import { POLICY_REASONS } from '../../../src/policy/types.js';

const README = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

function documentedRows(): string[] {
  const start = README.indexOf('<!-- reason-codes:start -->');
  const end = README.indexOf('<!-- reason-codes:end -->');
  return README.slice(start, end).split('\n').filter((line) => line.startsWith('| `'));
}

describe('error catalogue', () => {
  it('is documented in the README, row for row, in catalogue order', () => {
    const expected = Object.entries(ERROR_CATALOGUE).map(([code, e]) => `| \`${code}\` | ${e.status} | \`${e.error}\` | ${e.summary} |`);
    expect(documentedRows()).toEqual(expected);
  });

  it('covers every policy deny reason and every destination refusal', () => {
    const denyReasons = POLICY_REASONS.filter((r) => r !== 'rule_matched' && r !== 'anonymous_report_only');
    expect(denyReasons.filter((r) => !isReasonCode(r))).toEqual([]);
    expect(DESTINATION_REASONS.filter((r) => !isReasonCode(r))).toEqual([]);
  });

  it('uses 407 only for proxy credentials and 403 for every policy deny', () => {
    const proxyAuth = Object.entries(ERROR_CATALOGUE).filter(([, e]) => e.status === 407).map(([code]) => code);
    expect(proxyAuth.sort()).toEqual(['proxy_auth_invalid', 'proxy_auth_missing']);
    for (const reason of POLICY_REASONS.filter((r) => isReasonCode(r))) {
      expect(ERROR_CATALOGUE[reason as keyof typeof ERROR_CATALOGUE].status).toBe(403);
    }
  });
});

describe('error mapper', () => {
  it('gives the client the class, the code and the request id, nothing else', () => {
    const reply = errorReply('upstream_tls_failed', 'req-1');
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({ error: 'upstream_error', reason: 'upstream_tls_failed', request_id: 'req-1' });
    expect(reply.headers['x-mcp-egress-request-id']).toBe('req-1');
    expect(reply.headers['proxy-authenticate']).toBeUndefined();
  });

  it('adds Proxy-Authenticate on 407 only', () => {
    expect(errorReply('proxy_auth_missing', 'r').headers['proxy-authenticate']).toBe('Basic realm="mcp-egress", charset="UTF-8"');
  });

  it('writes raw CONNECT replies as one complete HTTP/1.1 message with a matching content-length', () => {
    const raw = rawErrorReply('no_rule_for_host', 'req-2').toString('latin1');
    const [head, body] = raw.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body ?? '')}`);
    expect(JSON.parse(body ?? '')).toEqual({ error: 'denied', reason: 'no_rule_for_host', request_id: 'req-2' });
  });
});
