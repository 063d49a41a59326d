/**
 * decodeJwt: the named claims of a JWS compact token, decoded and never verified, each string cut short
 * and free of control characters (a hostile token must not write log lines), `expired` against the
 * request's time, and null for anything that is not a JWT.
 */
import { describe, expect, it } from 'vitest';
import { decodeJwt, safeClaimText } from '../../../src/tokens/jwt-claims.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const jwt = (payload: unknown, header: unknown = { alg: 'RS256', typ: 'JWT' }, signature = 'c2lnbmF0dXJlLXNlY3JldA'): string =>
  `${b64url(header)}.${b64url(payload)}.${signature}`;

describe('decodeJwt: claims', () => {
  it.each([
    {
      name: 'every named claim',
      payload: { iss: 'https://issuer.example', sub: 'user-1', aud: 'api', exp: NOW_S + 60, iat: NOW_S - 60, azp: 'cli', client_id: 'cli', scope: 'read write' },
      expected: { iss: 'https://issuer.example', sub: 'user-1', aud: 'api', exp: NOW_S + 60, iat: NOW_S - 60, azp: 'cli', client_id: 'cli', scope: 'read write', expired: false },
    },
    { name: 'expired (exp in the past)', payload: { exp: NOW_S - 1 }, expected: { exp: NOW_S - 1, expired: true } },
    { name: 'exp exactly now counts as expired', payload: { exp: NOW_S }, expected: { exp: NOW_S, expired: true } },
    { name: 'no exp: no expired', payload: { sub: 's' }, expected: { sub: 's' } },
    { name: 'aud as an array', payload: { aud: ['a', 'b', 3] }, expected: { aud: ['a', 'b'] } },
    { name: 'aud: at most 8 entries, then …', payload: { aud: Array.from({ length: 20 }, (_, i) => `a${i}`) }, expected: { aud: [...Array.from({ length: 8 }, (_, i) => `a${i}`), '…'] } },
    { name: 'scope as an array, or scp', payload: { scp: ['repo', 'user'] }, expected: { scope: 'repo user' } },
    { name: 'claims of the wrong type are left out', payload: { iss: 1, sub: { a: 1 }, exp: '123', iat: null, scope: 5, azp: true }, expected: {} },
    { name: 'non-finite or absurd dates are left out', payload: { exp: 1e300, iat: -1e12 }, expected: {} },
    { name: 'other claims never come out', payload: { email: 'a@b', gty: 'client-credentials', secret: 'x' }, expected: {} },
  ])('$name', ({ payload, expected }) => {
    expect(decodeJwt(jwt(payload), NOW)?.claims).toEqual(expected);
  });

  it('alg none (empty signature) is still read', () => {
    expect(decodeJwt(jwt({ sub: 'x' }, { alg: 'none' }, ''), NOW)?.claims).toEqual({ sub: 'x' });
  });

  it('never keeps the signature or the header', () => {
    const text = JSON.stringify(decodeJwt(jwt({ sub: 'x' }), NOW));
    expect(text).not.toContain('c2lnbmF0dXJlLXNlY3JldA');
    expect(text).not.toContain('RS256');
  });
});

describe('decodeJwt: not a JWT', () => {
  it.each([
    { name: 'opaque token', token: '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' },
    { name: 'two segments', token: `${b64url({ alg: 'x' })}.${b64url({ sub: 'a' })}` },
    { name: 'five segments (JWE)', token: `${b64url({ alg: 'x' })}.a.b.c.d` },
    { name: 'header without alg', token: jwt({ sub: 'a' }, { typ: 'JWT' }) },
    { name: 'payload not JSON', token: `${b64url({ alg: 'x' })}.${b64url('not json')}.s` },
    { name: 'payload an array', token: `${b64url({ alg: 'x' })}.${b64url([1, 2])}.s` },
    { name: 'payload null', token: `${b64url({ alg: 'x' })}.${b64url('null')}.s` },
    { name: 'characters outside base64url', token: `${b64url({ alg: 'x' })}.${b64url({ sub: 'a' })}+/.s` },
    { name: 'empty payload', token: `${b64url({ alg: 'x' })}..s` },
    { name: 'huge (over 8 KiB)', token: jwt({ sub: 'a', pad: 'x'.repeat(9000) }) },
  ])('$name', ({ token }) => {
    expect(decodeJwt(token, NOW)).toBeNull();
  });
});

describe('decodeJwt: hostile claims', () => {
  const HOSTILE = 'evil\r\n{"actor":"admin"}\u0000\u001b[31m\u2028\u202e\u200b';

  it.each(['iss', 'sub', 'azp', 'client_id', 'scope'] as const)('%s: no control, format or separator characters', (claim) => {
    const claims = decodeJwt(jwt({ [claim]: HOSTILE, aud: [HOSTILE] }), NOW)!.claims;
    for (const value of [claims[claim], ...(claims.aud as string[])]) {
      expect(value).toBe('evil??{"actor":"admin"}??[31m???');
      expect(value).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
    }
  });

  it('a lone surrogate is replaced', () => {
    expect(decodeJwt(`${b64url({ alg: 'x' })}.${b64url('{"sub":"a\\ud800b"}')}.s`, NOW)!.claims.sub).toBe('a?b');
  });

  it.each([
    { claim: 'sub', limit: 200 },
    { claim: 'iss', limit: 200 },
    { claim: 'scope', limit: 500 },
  ])('$claim is cut to $limit code points', ({ claim, limit }) => {
    const value = decodeJwt(jwt({ [claim]: '😀'.repeat(1000) }), NOW)!.claims[claim as 'sub'] as string;
    expect(Array.from(value)).toHaveLength(limit + 1);
    expect(value.endsWith('😀…')).toBe(true);
  });

  it.each([
    { value: 'short', max: 10, expected: 'short' },
    { value: 'exactlyten', max: 10, expected: 'exactlyten' },
    { value: 'elevenchars', max: 10, expected: 'elevenchar…' },
    { value: `${'a'.repeat(9)}😀😀`, max: 10, expected: `${'a'.repeat(9)}😀…` },
    { value: 'tab\there', max: 20, expected: 'tab?here' },
  ])('safeClaimText($value, $max)', ({ value, max, expected }) => {
    expect(safeClaimText(value, max)).toBe(expected);
  });
});
