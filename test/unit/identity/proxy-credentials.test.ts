/**
 * Proxy credentials as a specification: which `Proxy-Authorization` values parse to which user and
 * password, what the verifier answers for each, and that the password never comes back out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCredentialVerifier, parseBasic } from '../../../src/identity/proxy-credentials.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const basic = (user: string, password: string): string => `Basic ${b64(`${user}:${password}`)}`;

const SECRET = 's3cret-Pa55word-for-reader';
const READER = b64(`reader:${SECRET}`);
// `reader:pwd` needs padding, so it can show padding handled right and wrong.
const PADDED = b64('reader:pwd');

interface ParseCase {
  readonly name: string;
  readonly header: string;
  readonly expected: { user: string; password: string } | null;
}

const parsed = (user: string, password: string) => ({ user, password });

const PARSE_CASES: readonly ParseCase[] = [
  { name: 'canonical', header: `Basic ${READER}`, expected: parsed('reader', SECRET) },
  { name: 'scheme in lower case', header: `basic ${READER}`, expected: parsed('reader', SECRET) },
  { name: 'scheme in upper case', header: `BASIC ${READER}`, expected: parsed('reader', SECRET) },
  { name: 'scheme in mixed case', header: `bAsIc ${READER}`, expected: parsed('reader', SECRET) },
  { name: 'several spaces after the scheme', header: `Basic    ${READER}`, expected: parsed('reader', SECRET) },
  { name: 'surrounding whitespace', header: `  Basic ${READER}  `, expected: parsed('reader', SECRET) },
  { name: 'padded base64', header: `Basic ${PADDED}`, expected: parsed('reader', 'pwd') },
  { name: 'unpadded base64', header: `Basic ${PADDED.slice(0, -2)}`, expected: parsed('reader', 'pwd') },
  { name: 'password with colons', header: basic('reader', 'a:b::c'), expected: parsed('reader', 'a:b::c') },
  { name: 'password with @', header: basic('reader', 'p@ss@word'), expected: parsed('reader', 'p@ss@word') },
  { name: 'unicode password', header: basic('reader', 'pässwörd-🔑-密码'), expected: parsed('reader', 'pässwörd-🔑-密码') },
  { name: 'empty password (parses; the verifier refuses it)', header: basic('reader', ''), expected: parsed('reader', '') },
  // Clients decode the proxy URL's userinfo before sending (see proxy-credentials.clients.test.ts), so
  // what arrives is the literal secret: a `%` sequence in it is part of the secret, not an escape.
  { name: 'literal %41 in the password', header: basic('reader', 'pa%41ss'), expected: parsed('reader', 'pa%41ss') },
  { name: 'literal %40 in the password', header: basic('reader', 'p%40ss'), expected: parsed('reader', 'p%40ss') },
  { name: 'literal invalid % in the password', header: basic('reader', '100%-sure'), expected: parsed('reader', '100%-sure') },
  { name: 'no colon', header: `Basic ${b64('reader')}`, expected: null },
  { name: 'empty user', header: basic('', SECRET), expected: null },
  { name: 'colon only', header: `Basic ${b64(':')}`, expected: null },
  { name: 'scheme without credentials', header: 'Basic', expected: null },
  { name: 'scheme and a space', header: 'Basic ', expected: null },
  { name: 'scheme glued to credentials', header: `Basic${READER}`, expected: null },
  { name: 'tab instead of a space', header: `Basic\t${READER}`, expected: null },
  { name: 'Bearer scheme', header: `Bearer ${READER}`, expected: null },
  { name: 'Digest scheme', header: 'Digest username="reader", realm="x"', expected: null },
  { name: 'credentials without a scheme', header: READER, expected: null },
  { name: 'characters outside base64', header: 'Basic !!!!', expected: null },
  { name: 'base64url alphabet', header: `Basic ${b64('reader:??>>??>>').replaceAll('/', '_').replaceAll('+', '-')}`, expected: null },
  // Node's decoder stops at an inner `=`: without a strict check these would read as `reader:pwd`.
  { name: 'padding inside the value', header: `Basic ${PADDED}${b64('x')}`, expected: null },
  { name: 'junk after the padding', header: `Basic ${PADDED}AAAA`, expected: null },
  { name: 'three padding characters', header: `Basic ${PADDED}=`, expected: null },
  { name: 'padding on an unpadded length', header: `Basic ${b64('reader:pw')}==`, expected: null },
  { name: 'a lone base64 character', header: 'Basic c', expected: null },
  { name: 'a second token after the credentials', header: `Basic ${READER} extra`, expected: null },
];

describe('parseBasic', () => {
  it.each(PARSE_CASES)('$name', ({ header, expected }) => {
    expect(parseBasic(header)).toEqual(expected);
  });

  it('the fixtures for bad padding are what their names say', () => {
    expect(PADDED).toBe('cmVhZGVyOnB3ZA==');
    expect(`${PADDED}${b64('x')}`).toBe('cmVhZGVyOnB3ZA==eA==');
    expect(b64('reader:pw')).toBe('cmVhZGVyOnB3');
  });
});

describe('createCredentialVerifier', () => {
  const verifier = createCredentialVerifier(
    new Map([
      ['reader', SECRET],
      ['writer', 'wr1ter:secret@with-🔑-and-%41'],
    ]),
  );

  it.each([
    { name: 'no header', header: undefined },
    { name: 'empty header', header: '' },
    { name: 'whitespace-only header', header: '   ' },
  ])('$name -> proxy_auth_missing', ({ header }) => {
    expect(verifier.verify(header)).toEqual({ ok: false, reason: 'proxy_auth_missing' });
  });

  it.each([
    { name: 'unknown user with a configured password', header: basic('nobody', SECRET) },
    { name: 'wrong password', header: basic('reader', 'not-the-secret') },
    { name: 'the other tool\'s password', header: basic('reader', 'wr1ter:secret@with-🔑-and-%41') },
    { name: 'password one character short', header: basic('reader', SECRET.slice(0, -1)) },
    { name: 'password with a character more', header: basic('reader', `${SECRET}x`) },
    { name: 'user in another case', header: basic('Reader', SECRET) },
    { name: 'empty password', header: basic('reader', '') },
    { name: 'password sent percent-encoded', header: basic('writer', encodeURIComponent('wr1ter:secret@with-🔑-and-%41')) },
    { name: 'Bearer scheme', header: `Bearer ${SECRET}` },
    { name: 'invalid base64', header: 'Basic ***' },
    { name: 'empty user', header: basic('', SECRET) },
  ])('$name -> proxy_auth_invalid', ({ header }) => {
    expect(verifier.verify(header)).toEqual({ ok: false, reason: 'proxy_auth_invalid' });
  });

  it.each([
    { name: 'reader', header: basic('reader', SECRET), tool: 'reader' },
    { name: 'writer, whose secret has : @ unicode and %41', header: basic('writer', 'wr1ter:secret@with-🔑-and-%41'), tool: 'writer' },
    { name: 'scheme in lower case with extra spaces', header: `  basic   ${READER} `, tool: 'reader' },
  ])('$name -> ok', ({ header, tool }) => {
    const result = verifier.verify(header);
    expect(result).toEqual({ ok: true, tool });
    expect(Object.keys(result)).toEqual(['ok', 'tool']);
  });

  it('never returns or throws the password, whatever the header', () => {
    const headers = [
      ...PARSE_CASES.map((c) => c.header),
      basic('reader', SECRET),
      basic('nobody', SECRET),
      basic('reader', `${SECRET}x`),
      `Basic ${b64(`reader:${SECRET}`)}${'A'.repeat(10_000)}`,
      `Basic ${Buffer.from([0x72, 0x3a, 0xff, 0xfe, 0xc3]).toString('base64')}`,
    ];
    for (const header of headers) {
      let text: string;
      try {
        text = JSON.stringify(verifier.verify(header));
      } catch (error: unknown) {
        text = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
      }
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SECRET.slice(0, 10));
    }
  });
});

describe('createCredentialVerifier, property: a header built from a user/password pair is accepted exactly when that pair is configured', () => {
  const toolName = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,15}$/);
  const secret = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    // Characters that once had a meaning to the parser: separators and percent escapes.
    fc.string({ unit: fc.constantFrom('%', '4', '1', 'A', 'f', ':', '@', ' ', 'é', '🔑', '='), minLength: 1, maxLength: 24 }),
  );
  const configured = fc.uniqueArray(fc.tuple(toolName, secret), { selector: ([name]) => name, minLength: 1, maxLength: 4 });
  const candidateKind = fc.constantFrom('configured pair', 'configured user, other password', 'any pair');

  it('holds', () => {
    fc.assert(
      fc.property(configured, fc.nat(), candidateKind, toolName, secret, (pairs, index, kind, anyUser, anyPassword) => {
        const [user, password] = pairs[index % pairs.length]!;
        const candidate =
          kind === 'configured pair' ? [user, password] : kind === 'configured user, other password' ? [user, anyPassword] : [anyUser, anyPassword];
        const [candidateUser, candidatePassword] = candidate as [string, string];
        const secrets = new Map(pairs);
        const result = createCredentialVerifier(secrets).verify(basic(candidateUser, candidatePassword));
        const accepted = secrets.get(candidateUser) === candidatePassword;
        expect(result).toEqual(accepted ? { ok: true, tool: candidateUser } : { ok: false, reason: 'proxy_auth_invalid' });
      }),
      { numRuns: 500 },
    );
  });
});
