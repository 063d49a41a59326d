/**
 * Fingerprints and hints: how a token is named in the audit trail without being held there.
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFingerprinter, tokenHint } from '../../../src/tokens/fingerprint.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';

describe('createFingerprinter', () => {
  it('formats a fingerprint as hmac-sha256:<64 lower-case hex>', () => {
    expect(createFingerprinter(KEY_A)(TOKEN)).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it('is the HMAC-SHA256 of the UTF-8 token under the key (so `audit fingerprint` can recompute it)', () => {
    const token = 'pässwörd-🔑';
    const expected = createHmac('sha256', KEY_A).update(Buffer.from(token, 'utf8')).digest('hex');
    expect(createFingerprinter(KEY_A)(token)).toBe(`hmac-sha256:${expected}`);
  });

  it('is stable for the same key, across fingerprinter instances', () => {
    expect(createFingerprinter(Buffer.from(KEY_A))(TOKEN)).toBe(createFingerprinter(KEY_A)(TOKEN));
  });

  it('differs under a different key', () => {
    expect(createFingerprinter(KEY_B)(TOKEN)).not.toBe(createFingerprinter(KEY_A)(TOKEN));
  });

  it('differs for tokens that differ in one character', () => {
    const fingerprint = createFingerprinter(KEY_A);
    expect(fingerprint(`${TOKEN.slice(0, -1)}6`)).not.toBe(fingerprint(TOKEN));
  });

  it.each([0, 1, 16, 31])('refuses a %i-byte key', (length) => {
    expect(() => createFingerprinter(Buffer.alloc(length, 1))).toThrow('at least 32 bytes');
  });

  it.each([32, 64])('accepts a %i-byte key', (length) => {
    expect(() => createFingerprinter(Buffer.alloc(length, 1))).not.toThrow();
  });

  it('never contains the token', () => {
    const fingerprint = createFingerprinter(KEY_A);
    fc.assert(
      fc.property(fc.string({ minLength: 8 }), (token) => {
        expect(fingerprint(token)).not.toContain(token);
      }),
    );
  });

  it('withholds the hint when a long prefix would leave too little hidden', () => {
    expect(tokenHint('sk-ant-api03-ABCDEFG')).toBeNull(); // 20 characters, 7 after the prefix
    expect(tokenHint('sk-ant-api03-ABCDEFGHIJKLMNOP')).toBe('sk-ant-api03-…MNOP');
  });
});

describe('tokenHint', () => {
  it.each([
    { name: '19 characters: too short for a hint', token: 'abcdefghij123456789', hint: null },
    { name: 'a short prefixed token', token: 'ghp_0123456789abcde', hint: null },
    { name: 'empty', token: '', hint: null },
    { name: '20 characters, no known prefix', token: 'abcdefghij1234567890', hint: '…7890' },
    { name: 'GitHub classic PAT', token: TOKEN, hint: 'ghp_…2345' },
    { name: 'GitHub OAuth token', token: 'gho_0123456789abcdefghijklmnopqrstuvwxyz', hint: 'gho_…wxyz' },
    { name: 'GitHub server token', token: 'ghs_0123456789abcdefghijklmnopqrstuvwxyz', hint: 'ghs_…wxyz' },
    { name: 'GitHub fine-grained PAT, not mistaken for a gh… prefix', token: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop', hint: 'github_pat_…mnop' },
    { name: 'Anthropic API key: the longest matching prefix', token: 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz-AA', hint: 'sk-ant-api03-…z-AA' },
    { name: 'Anthropic key of another version', token: 'sk-ant-admin01-abcdefghijklmnopqrstuvwxyz', hint: 'sk-ant-…wxyz' },
    { name: 'OpenAI project key over the bare sk-', token: 'sk-proj-abcdefghijklmnopqrstuvwxyz', hint: 'sk-proj-…wxyz' },
    { name: 'bare sk-', token: 'sk-abcdefghijklmnopqrstuvwxyz', hint: 'sk-…wxyz' },
    { name: 'Stripe live key', token: 'sk_live_abcdefghijklmnopqrstuvwxyz', hint: 'sk_live_…wxyz' },
    { name: 'GitLab PAT', token: 'glpat-abcdefghijklmnopqrst', hint: 'glpat-…qrst' },
    { name: 'Slack bot token', token: 'xoxb-1234567890-abcdefghijkl', hint: 'xoxb-…ijkl' },
    { name: 'AWS access key id', token: 'AKIAABCDEFGHIJKLMNOP', hint: 'AKIA…MNOP' },
    { name: 'JWT', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', hint: 'eyJ…dXJl' },
    { name: 'a prefix is case-sensitive', token: 'GHP_0123456789abcdefghij', hint: '…ghij' },
    { name: 'a prefix only counts at the start', token: 'xx-ghp_0123456789abcdefghij', hint: '…ghij' },
  ])('$name', ({ token, hint }) => {
    expect(tokenHint(token)).toBe(hint);
  });

  it('never holds more than a known prefix of the token and its last 4 characters', () => {
    const prefixes = ['', 'ghp_', 'github_pat_', 'sk-ant-api03-', 'sk-', 'AKIA', 'eyJ', 'glpat-'];
    fc.assert(
      fc.property(fc.constantFrom(...prefixes), fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), (prefix, body) => {
        const token = `${prefix}${body}`;
        const hint = tokenHint(token);
        if (token.length < 20) {
          expect(hint).toBeNull();
          return;
        }
        if (hint === null) {
          // Withheld only when the part after a known prefix is too short for 4 characters to be a small share.
          expect(prefixes.some((p) => p !== '' && token.startsWith(p) && token.length - p.length < 16)).toBe(true);
          return;
        }
        const [shownPrefix, suffix] = hint!.split('…') as [string, string];
        expect(hint!.split('…')).toHaveLength(2);
        expect(token.startsWith(shownPrefix)).toBe(true);
        expect(shownPrefix.length).toBeLessThanOrEqual(13);
        expect(suffix).toBe(token.slice(-4));
        expect(hint!.length).toBe(shownPrefix.length + 1 + 4);
      }),
      { numRuns: 500 },
    );
  });

  it('withholds the hint when a long prefix would leave too little hidden', () => {
    expect(tokenHint('sk-ant-api03-ABCDEFG')).toBeNull(); // 20 characters, 7 after the prefix
    expect(tokenHint('sk-ant-api03-ABCDEFGHIJKLMNOP')).toBe('sk-ant-api03-…MNOP');
  });
});
