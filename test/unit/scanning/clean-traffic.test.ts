/**
 * Precision: traffic without secrets comes out untouched. The corpus in test/fixtures/clean-traffic/ holds
 * what an MCP server sees all day — GitHub API JSON (SHAs, node ids, ETags, PGP commit signatures,
 * base64 file contents), npm metadata (integrity hashes, registry signatures), lockfiles, OCI digests,
 * OIDC/JWKS public keys, certificates, response headers, MCP JSON-RPC and log lines with trace ids — and
 * the full catalogue must find NOTHING in it, in raw form or through the JSON-escape and percent views.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findEncodedMatches } from '../../../src/scanning/index.js';
import { realScanner } from './helpers.js';

const DIR = fileURLToPath(new URL('../../fixtures/clean-traffic/', import.meta.url));
const FILES = readdirSync(DIR).filter((name) => !name.startsWith('.')).sort();
const scanner = realScanner();

/** `rule-id: …context…` with the matched secret masked, so a failure shows what fired without echoing it. */
function describeMatches(input: Buffer): string[] {
  return findEncodedMatches(scanner, input, { json: true, percent: true }).map((match) => {
    const before = input.subarray(Math.max(0, match.start - 20), match.start).toString('utf8');
    const after = input.subarray(match.end, match.end + 20).toString('utf8');
    return `${match.rule.id}: ${JSON.stringify(`${before}<${match.end - match.start} bytes>${after}`)}`;
  });
}

describe('the clean-traffic corpus', () => {
  it('covers the shapes that must never be redacted', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(8);
    const all = FILES.map((name) => readFileSync(`${DIR}${name}`, 'utf8')).join('\n');
    for (const shape of ['"sha":', '"node_id":', 'ETag:', 'sha512-', '"encoding": "base64"', 'traceparent', 'BEGIN PGP SIGNATURE', 'BEGIN CERTIFICATE', '"kty"', 'sha256:']) {
      expect(all, shape).toContain(shape);
    }
  });

  it.each(FILES)('%s yields zero findings', (name) => {
    expect(describeMatches(readFileSync(`${DIR}${name}`))).toEqual([]);
  });

  it.each(FILES)('%s passes through redact() byte-for-byte', (name) => {
    const input = readFileSync(`${DIR}${name}`);
    expect(scanner.redact(input).output.equals(input)).toBe(true);
  });
});
