/**
 * The engine's contract on a small hand-written catalogue: which matches become findings (keyword inside
 * the match, maxLength, minEntropy, validators, allowlist), how overlapping findings merge, what the
 * redacted output looks like, and that bytes outside findings pass through untouched.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFingerprinter } from '../../../src/tokens/fingerprint.js';
import type { Finding } from '../../../src/scanning/index.js';
import { ACME_CONTEXT_RULE, githubToken, scannerOf } from './helpers.js';

const scanner = scannerOf('acme', [
  { id: 'acme-api-key', kind: 'acme_api_key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'], maxLength: 40 },
  ACME_CONTEXT_RULE,
  { id: 'acme-ghp', kind: 'acme_github_pat', regex: '\\b(ghp_[A-Za-z0-9]{36})\\b', secretGroup: 1, keywords: ['ghp_'], maxLength: 44, validate: 'github_crc32' },
  // No keyword at a fixed place: the match must still contain one for the finding to count.
  { id: 'acme-hex-near-keyword', kind: 'acme_hex', regex: '[0-9a-f]{12}(?:zz-key)?', keywords: ['zz-key'], maxLength: 30 },
  { id: 'acme-long', kind: 'acme_long', regex: 'longkey:[a-z]{1,200}', keywords: ['longkey:'], maxLength: 20 },
]);

const KEY = 'acme_Zx81Qm2Lp0Rt7Yw3';
const PAT = githubToken('ghp', 'p7kxUkfTxLEwcCwwKCZB0Ss2B7Wgft');
const spans = (text: string): [string, string][] =>
  scanner.scan(Buffer.from(text)).map((f) => [f.ruleId, Buffer.from(text).subarray(f.start, f.end).toString()]);

describe('scan: what becomes a finding', () => {
  it.each([
    ['a prefixed key', `key ${KEY} here`, [['acme-api-key', KEY]]],
    ['a context secret (only the group is the secret)', 'ACME_TOKEN = "Q9vLx2Rm8Tz4Kp7W"', [['acme-context-secret', 'Q9vLx2Rm8Tz4Kp7W']]],
    ['a low-entropy context value', 'acme_token: aaaaaaaaaaaaaaaaaaab', []],
    ['a GitHub token with a valid checksum', `token ${PAT}`, [['acme-ghp', PAT]]],
    ['a GitHub-shaped value with a wrong checksum', `token ${PAT.slice(0, -1)}A`, []],
    ['a match without its keyword inside', 'zz-key 0123456789ab', []],
    ['a match with its keyword inside', '0123456789abzz-key', [['acme-hex-near-keyword', '0123456789abzz-key']]],
    ['a match longer than maxLength', 'longkey:abcdefghijklmnopqrstuvwxyz', []],
    ['a match within maxLength', 'longkey:abcdefgh', [['acme-long', 'longkey:abcdefgh']]],
    ['a documented placeholder', 'acme_xxxxxxxxxxxxxxxx', []],
    ['keywords in any ASCII case', 'Acme-Secret: "Q9vLx2Rm8Tz4Kp7W"', [['acme-context-secret', 'Q9vLx2Rm8Tz4Kp7W']]],
    ['a token glued to a word (no boundary)', `x${KEY}`, []],
  ])('%s', (_what, text, expected) => {
    expect(spans(text)).toEqual(expected);
  });

  it('reports offsets in bytes and never the value', () => {
    const text = `é ${KEY}`;
    const [finding] = scanner.scan(Buffer.from(text));
    expect(finding).toEqual({ ruleId: 'acme-api-key', ruleIds: ['acme-api-key'], kind: 'acme_api_key', holder: 'unknown', start: 3, end: 3 + KEY.length });
    expect(JSON.stringify(finding)).not.toContain(KEY.slice(5));
  });

  it('merges overlapping findings into their union, with the kind of the format rule', () => {
    // The context rule sees `acme_key: acme_Zx81…` and takes the value; the prefix rule knows the format.
    const text = `acme_key: ${KEY}`;
    const findings = scanner.scan(Buffer.from(text));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'acme-api-key', kind: 'acme_api_key', start: text.indexOf(KEY), end: text.length });
    expect([...findings[0]!.ruleIds].sort()).toEqual(['acme-api-key', 'acme-context-secret']);
  });

  it('finds the same secrets whatever precedes the keyword window (windows do not change results)', () => {
    const text = `acme=Q9vLx2Rm8Tz4Kp7W ${KEY} 0123456789abzz-key ${PAT}`;
    const alone = scanner.scan(Buffer.from(text));
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', '_', '\n', '-', 'é'), maxLength: 300 }), (padding) => {
        const shift = Buffer.byteLength(`${padding}\n`);
        const padded = scanner.scan(Buffer.from(`${padding}\n${text}`));
        expect(padded).toEqual(alone.map((f: Finding) => ({ ...f, start: f.start + shift, end: f.end + shift })));
      }),
      { numRuns: 100 },
    );
  });

  it('honours extra allowlist literals', () => {
    const allowing = scannerOf('acme', [{ id: 'acme-api-key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'] }], {
      allowlist: { literals: [KEY] },
    });
    expect(allowing.scan(Buffer.from(`a ${KEY} b acme_Zx81Qm2Lp0Rt7Yw4`)).map((f) => f.start)).toEqual([26]);
  });
});

describe('keywordOffset: where a rule is tried', () => {
  // The same regex twice: once declaring that its keyword leads the match, once (wrongly, on purpose)
  // declaring the keyword may start up to 12 bytes in. The engine tries only starts in that range.
  const leading = scannerOf('offsets', [
    { id: 'lead', kind: 'offset_lead', regex: 'key-[a-z]{6}|[0-9]{12}key-[a-z]{6}', keywords: ['key-'], maxLength: 30, extraYaml: '    keywordOffset: 0\n' },
  ]);
  const wide = scannerOf('offsets', [
    { id: 'wide', kind: 'offset_wide', regex: 'key-[a-z]{6}|[0-9]{12}key-[a-z]{6}', keywords: ['key-'], maxLength: 30, extraYaml: '    keywordOffset: 12\n' },
  ]);
  const text = 'id 123456789012key-abcdef end';
  const found = (s: typeof leading) => s.scan(Buffer.from(text)).map((f) => text.slice(f.start, f.end));

  it('finds only matches whose keyword starts within keywordOffset bytes of the match start', () => {
    expect(found(leading)).toEqual(['key-abcdef']);
    expect(found(wide)).toEqual(['123456789012key-abcdef']);
  });
});

describe('redact', () => {
  it('replaces each secret with [REDACTED:<kind>] and keeps everything else', () => {
    const { output, findings } = scanner.redact(Buffer.from(`a=${KEY}; ACME_TOKEN="Q9vLx2Rm8Tz4Kp7W"; t=${PAT}`));
    expect(output.toString()).toBe('a=[REDACTED:acme_api_key]; ACME_TOKEN="[REDACTED:acme_secret]"; t=[REDACTED:acme_github_pat]');
    expect(findings.map((f) => f.kind)).toEqual(['acme_api_key', 'acme_secret', 'acme_github_pat']);
  });

  it('adds the first 8 hex digits of a keyed fingerprint when a fingerprinter is injected', () => {
    const key = Buffer.alloc(32, 7);
    const fingerprint = (secret: Buffer) => createHmac('sha256', key).update(secret).digest('hex');
    const expected = createHmac('sha256', key).update(KEY).digest('hex').slice(0, 8);
    expect(scanner.redact(Buffer.from(KEY), { fingerprint }).output.toString()).toBe(`[REDACTED:acme_api_key:${expected}]`);
  });

  it("accepts src/tokens' fingerprinter (hmac-sha256:<hex>) bound to a key", () => {
    const tokens = createFingerprinter(Buffer.alloc(32, 1));
    const fingerprint = (secret: Buffer) => tokens(secret.toString('utf8'));
    const expected = tokens(KEY).slice('hmac-sha256:'.length, 'hmac-sha256:'.length + 8);
    expect(scanner.redactString(`k ${KEY}`, { fingerprint }).output).toBe(`k [REDACTED:acme_api_key:${expected}]`);
  });

  it('refuses a fingerprinter that returns anything but hex, without echoing it', () => {
    expect(() => scanner.redact(Buffer.from(KEY), { fingerprint: (secret) => secret.toString() })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('Zx81') }),
    );
  });

  it('passes invalid UTF-8 and binary bytes through unchanged outside the redacted span', () => {
    const before = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x20]);
    const after = Buffer.from([0x20, 0xed, 0xa0, 0x80, 0x80, 0x00, 0xf8]);
    const { output } = scanner.redact(Buffer.concat([before, Buffer.from(KEY), after]));
    expect(output).toEqual(Buffer.concat([before, Buffer.from('[REDACTED:acme_api_key]'), after]));
  });

  it.each([
    ['a keyword in another case', `x ACME_ y`, true],
    ['a keyword inside a word', 'preghp_post', true],
    ['text without any keyword', 'nothing secret here, 42 times', false],
    ['nothing at all', '', false],
  ])('mentionsKeyword: %s', (_what, text, expected) => {
    expect(scanner.mentionsKeyword(Buffer.from(text))).toBe(expected);
  });

  it('finds nothing where no keyword is mentioned', () => {
    const text = fc.string({ unit: fc.constantFrom(...'acmeACME_ghp-zkeylong:01 =Zx8'), maxLength: 80 });
    fc.assert(
      fc.property(text, (value) => {
        const input = Buffer.from(value);
        if (!scanner.mentionsKeyword(input)) expect(scanner.matches(input)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('redactString returns the very same string when nothing is found', () => {
    const text = 'nothing secret here \u{1F600}';
    expect(scanner.redactString(text).output).toBe(text);
    expect(scanner.redactString(`ü ${KEY}`)).toMatchObject({ output: 'ü [REDACTED:acme_api_key]', findings: [{ start: 3, end: 3 + KEY.length }] });
  });
});
