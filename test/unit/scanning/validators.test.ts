/** Validators, entropy and the placeholder allowlist: the checks a regex match must pass to become a finding. */
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createAllowlist } from '../../../src/scanning/allowlist.js';
import { base62Crc32, githubCrc32, jwtShape, shannonEntropy } from '../../../src/scanning/index.js';
import { base64url, githubToken, jwt } from './helpers.js';

const RANDOM30 = 'p7kxUkfTxLEwcCwwKCZB0Ss2B7Wgft';

describe('github_crc32', () => {
  it('computes the checksum as base62 of zlib CRC32, left-padded to 6', () => {
    // crc32("") is 0: six zeros. 'a' has the well-known CRC32 0xe8b7be43.
    expect(base62Crc32('')).toBe('000000');
    expect(base62Crc32('a')).toBe(base62Of(0xe8b7be43));
    expect(base62Crc32(RANDOM30)).toBe(base62Of(crc32(RANDOM30)));
  });

  it.each(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])('accepts a %s_ token whose last 6 characters are the checksum of the 30 before', (prefix) => {
    expect(githubCrc32(Buffer.from(githubToken(prefix, RANDOM30)))).toBe(true);
  });

  it.each([
    ['a changed random character', `ghp_${'q'}${RANDOM30.slice(1)}${base62Crc32(RANDOM30)}`],
    ['a changed checksum character', `ghp_${RANDOM30}${base62Crc32(RANDOM30).slice(0, 5)}Z`],
    ['a truncated token', `ghp_${RANDOM30}${base62Crc32(RANDOM30).slice(0, 3)}`],
    ['non-base62 characters', `ghp_${RANDOM30.slice(0, 29)}-${base62Crc32(RANDOM30.slice(0, 29) + '-')}`],
    ['a placeholder', `ghp_${'x'.repeat(36)}`],
  ])('refuses %s', (_what, token) => {
    expect(githubCrc32(Buffer.from(token))).toBe(false);
  });
});

function base62Of(value: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let digits = '';
  for (let v = value; v > 0; v = Math.floor(v / 62)) digits = alphabet[v % 62] + digits;
  return digits.padStart(6, '0');
}

describe('jwt', () => {
  const signature = Buffer.from('0123456789abcdef0123456789abcdef');
  it.each([
    ['a signed token', jwt({ sub: 'ci-bot', exp: 1775126400 }, signature)],
    ['an unsigned alg:none token', `${base64url('{"alg":"none"}')}.${base64url('{"sub":"x"}')}.`],
    ['a token behind an issuer prefix', `ghs_${jwt({ iss: 'github' }, signature)}`],
  ])('accepts %s', (_what, token) => {
    expect(jwtShape(Buffer.from(token))).toBe(true);
  });

  it.each([
    ['two parts', `${base64url('{"alg":"HS256"}')}.${base64url('{}')}`],
    ['a header without alg', `${base64url('{"typ":"JWT"}')}.${base64url('{}')}.${base64url(signature)}`],
    ['a header that is not JSON', `${base64url('hello')}.${base64url('{}')}.${base64url(signature)}`],
    ['characters outside base64url', `${base64url('{"alg":"HS256"}')}.e30!.${base64url(signature)}`],
    ['a version string', '1.2.3'],
  ])('refuses %s', (_what, token) => {
    expect(jwtShape(Buffer.from(token))).toBe(false);
  });
});

describe('shannonEntropy', () => {
  it.each([
    ['', 0],
    ['aaaa', 0],
    ['abab', 1],
    ['abcd', 2],
    ['0123456789abcdef', 4],
    ['ééaa', 1],
  ])('%j has %d bits per character', (value, bits) => {
    expect(shannonEntropy(Buffer.from(value, 'utf8'))).toBeCloseTo(bits, 10);
  });
});

describe('the placeholder allowlist', () => {
  const allowlist = createAllowlist({ literals: ['sk_live_ourfixture1234567890'] });
  const isPlaceholder = (value: string, keywords: string[] = []) => allowlist.isPlaceholder(Buffer.from(value), keywords);

  it.each([
    ['AKIAIOSFODNN7EXAMPLE', []],
    ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', []],
    ['AKIAI44QH8DHBEXAMPLE', []],
    ['xxxxxxxxxxxxxxxxxxxx', []],
    ['XXXX-XXXX-XXXX-XXXX', []],
    ['********', []],
    ['0000000000000000', []],
    ['ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', ['ghp_']],
    ['sk-xXxX****', ['sk-']],
    ['your-api-key-here', []],
    ['YOUR_TOKEN', []],
    ['<your-token>', []],
    ['${GITHUB_TOKEN}', []],
    ['{{ api_token }}', []],
    ['$API_TOKEN', []],
    ['sk_live_ourfixture1234567890', []],
  ])('%s is a placeholder', (value, keywords) => {
    expect(isPlaceholder(value, keywords)).toBe(true);
  });

  it.each([
    ['AKIAQYLPMN5HHHFPZAM2'],
    ['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'],
    ['EXAMPLEKEYwJalrXUtnFEMI/K7MDENG/bPxRfiCY'],
    ['xxxxxxxxxxxxxxxxxxx1'],
    ['yourself-and-a-token'],
    ['<a><b>'],
    ['$2b$10$abcdefghijklmnopqrstuv'],
    ['sk_live_ourfixture1234567891'],
  ])('%s is not a placeholder', (value) => {
    expect(isPlaceholder(value)).toBe(false);
  });

  it('does not take a short rest after the keyword for a mask run (`ClearTextPassword1`)', () => {
    expect(isPlaceholder('ClearTextPassword1', ['cleartextpassword'])).toBe(false);
    expect(isPlaceholder('ClearTextPassword1111', ['cleartextpassword'])).toBe(true);
  });
});
