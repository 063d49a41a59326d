/**
 * Secrets written through an encoding — JSON string escapes (`\/`, `\u00XX`, `\n` inside a PEM block)
 * and URL percent-encoding — are found through decoded views and redacted in the raw text, which stays
 * byte-identical elsewhere and well-formed (a span never ends inside an escape).
 */
import { describe, expect, it } from 'vitest';
import { decodeView, jsonEscape, percentEscape, rawSpan } from '../../../src/scanning/decoded-view.js';
import { redactEncoded } from '../../../src/scanning/index.js';
import { scannerOf } from './helpers.js';

const scanner = scannerOf('acme', [
  { id: 'acme-api-key', kind: 'acme_api_key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'], maxLength: 40 },
  { id: 'acme-url-credential', kind: 'url_password', regex: '://[a-z]{1,20}:([^@/\\s]{6,40})@', secretGroup: 1, keywords: ['://'], maxLength: 80 },
  { id: 'acme-password', kind: 'password', regex: '"acme_password"\\s*:\\s*"([^"\\s]{8,64})', secretGroup: 1, keywords: ['acme_password'], maxLength: 100 },
  { id: 'acme-pem', kind: 'private_key', regex: '-----BEGIN ACME KEY-----\\n[A-Za-z0-9+/=\\n]{8,200}\\n-----END ACME KEY-----', keywords: ['BEGIN ACME KEY'], maxLength: 260 },
]);

const redacted = (text: string, forms = {}) => redactEncoded(scanner, Buffer.from(text), forms).output.toString();

describe('decodeView', () => {
  it('maps each decoded byte back to the whole escape that produced it', () => {
    const view = decodeView(Buffer.from('a\\u00e9\\/b\\uD83D\\uDE00'), jsonEscape, 0x5c)!;
    expect(view.bytes.toString()).toBe('aé/b\u{1F600}');
    const spans = Array.from({ length: view.bytes.length }, (_, i) => rawSpan(view, i, i + 1));
    expect(spans.map(([start]) => start)).toEqual([0, 1, 1, 7, 9, 10, 10, 10, 10]);
    expect(spans.map(([, end]) => end)).toEqual([1, 7, 7, 9, 10, 22, 22, 22, 22]);
  });

  it('leaves malformed escapes as they are, and answers null when there is nothing to decode', () => {
    expect(decodeView(Buffer.from('x\\q\\u12 \\'), jsonEscape, 0x5c)).toBeNull();
    expect(decodeView(Buffer.from('no escapes'), jsonEscape, 0x5c)).toBeNull();
    expect(decodeView(Buffer.from('100%25 and %zz'), percentEscape, 0x25)?.bytes.toString()).toBe('100% and %zz');
  });
});

describe('redactEncoded', () => {
  it.each([
    ['a plain secret', '{"k":"acme_Zx81Qm2Lp0Rt7Yw3"}', '{"k":"[REDACTED:acme_api_key]"}'],
    ['a \\u00XX-escaped character inside the secret', '{"k":"acme\\u005fZx81Qm2Lp0Rt7Yw3"}', '{"k":"[REDACTED:acme_api_key]"}'],
    ['escaped slashes in a URL with credentials', '{"u":"https:\\/\\/deploy:s3cr3t-Pa55@db.example.test\\/x"}', '{"u":"https:\\/\\/deploy:[REDACTED:url_password]@db.example.test\\/x"}'],
    // The raw match stops at the `"` of `\"`, inside the escape: the span grows to the whole escape.
    ['a secret ending inside an escape', '{"acme_password": "Pa55w0rd!\\""}', '{"acme_password": "[REDACTED:password]"}'],
    ['a PEM block with \\n escapes', '{"key":"-----BEGIN ACME KEY-----\\nQUJDREVGR0hJSktMTU5PUA==\\n-----END ACME KEY-----\\n"}', '{"key":"[REDACTED:private_key]\\n"}'],
  ])('%s', (_what, input, expected) => {
    expect(redacted(input)).toBe(expected);
  });

  it('redacted JSON still parses, to the same document with the secret replaced', () => {
    const document = { a: 1, url: 'https://deploy:s3cr3t-Pa55@db.example.test/x', nested: { k: 'acme_Zx81Qm2Lp0Rt7Yw3' } };
    const output = JSON.parse(redacted(JSON.stringify(document).replaceAll('/', '\\/'))) as unknown;
    expect(output).toEqual({ a: 1, url: 'https://deploy:[REDACTED:url_password]@db.example.test/x', nested: { k: '[REDACTED:acme_api_key]' } });
  });

  it('sees percent-encoded secrets only when asked to (URLs, query strings, form bodies)', () => {
    const query = 'GET /cb?next=https%3A%2F%2Fdeploy%3As3cr3t-Pa55%40db.example.test&k=acme%5FZx81Qm2Lp0Rt7Yw3';
    expect(redacted(query)).toBe(query);
    expect(redacted(query, { percent: true })).toBe('GET /cb?next=https%3A%2F%2Fdeploy%3A[REDACTED:url_password]%40db.example.test&k=[REDACTED:acme_api_key]');
  });

  it('reports findings at raw offsets', () => {
    const input = Buffer.from('{"k":"acme\\u005fZx81Qm2Lp0Rt7Yw3"}');
    const [finding] = redactEncoded(scanner, input).findings;
    expect(input.subarray(finding!.start, finding!.end).toString()).toBe('acme\\u005fZx81Qm2Lp0Rt7Yw3');
  });
});
