/**
 * Query strings as the audit event records them: secret-named parameters keep their name and lose their
 * value; everything else, including order, spelling and encoding, is kept byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { isSecretParamName, REDACTED_VALUE, redactQuery } from '../../../src/tokens/query.js';

const R = REDACTED_VALUE;

describe('redactQuery', () => {
  it.each([
    { name: 'empty query', query: '', expected: '' },
    { name: 'nothing secret', query: 'page=2&per_page=50&q=open+issues', expected: 'page=2&per_page=50&q=open+issues' },
    { name: 'one secret among others, order kept', query: 'a=1&access_token=ghp_x&b=2', expected: `a=1&access_token=${R}&b=2` },
    { name: 'name case kept, matched case-insensitively', query: 'API_KEY=abc&Token=def', expected: `API_KEY=${R}&Token=${R}` },
    { name: 'name fragments', query: 'x_refresh_token=1&clientSecret=2&db_password=3&X-Amz-Credential=4', expected: `x_refresh_token=${R}&clientSecret=${R}&db_password=${R}&X-Amz-Credential=${R}` },
    { name: 'exact names only for short words', query: 'key=1&monkey=2&code=3&zipcode=4&sig=5&signal=6', expected: `key=${R}&monkey=2&code=${R}&zipcode=4&sig=${R}&signal=6` },
    { name: 'AWS presigned URL', query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abcd&X-Amz-Security-Token=efgh&X-Amz-Expires=60', expected: `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=${R}&X-Amz-Security-Token=${R}&X-Amz-Expires=60` },
    { name: 'percent-encoded name, spelling kept', query: 'access%5Ftoken=s3cr3t&%61pi_key=k', expected: `access%5Ftoken=${R}&%61pi_key=${R}` },
    { name: 'percent-encoded name in upper-case hex', query: 'api%2Dkey=s3cr3t', expected: `api%2Dkey=${R}` },
    { name: '+ in a name is a space', query: 'access+token=s3cr3t&api+key=k', expected: `access+token=${R}&api+key=k` },
    { name: 'malformed percent-encoding in a name: judged as sent', query: 'token%zz=s3cr3t&pa%zzss=k', expected: `token%zz=${R}&pa%zzss=k` },
    { name: 'value containing = and &-free junk', query: 'token=a=b==c&x=1', expected: `token=${R}&x=1` },
    { name: 'value that is itself percent-encoded', query: 'password=p%40ss%26word', expected: `password=${R}` },
    { name: 'parameter without =', query: 'token&debug&x=1', expected: 'token&debug&x=1' },
    { name: 'empty value', query: 'token=&x=', expected: `token=${R}&x=` },
    { name: 'empty name', query: '=value&x=1', expected: '=value&x=1' },
    { name: 'repeated names', query: 'token=a&x=1&token=b&TOKEN=c', expected: `token=${R}&x=1&token=${R}&TOKEN=${R}` },
    { name: 'empty pairs kept', query: 'a=1&&token=x&', expected: `a=1&&token=${R}&` },
    { name: 'a secret-looking value under a harmless name is not this function\'s job', query: 'q=ghp_0123456789abcdefghij', expected: 'q=ghp_0123456789abcdefghij' },
  ])('$name', ({ query, expected }) => {
    expect(redactQuery(query)).toBe(expected);
  });

  it('keeps no secret value of the table above', () => {
    const query = 'access_token=VALUE1&api%5Fkey=VALUE2&client+secret=VALUE3&token=VALUE4&token=VALUE5';
    const redacted = redactQuery(query);
    for (const value of ['VALUE1', 'VALUE2', 'VALUE3', 'VALUE4', 'VALUE5']) expect(redacted).not.toContain(value);
    expect(redacted.split('&')).toHaveLength(5);
  });
});

describe('isSecretParamName', () => {
  it.each([
    'access_token', 'refresh_token', 'id_token', 'token', 'api_key', 'apikey', 'api-key', 'key', 'secret',
    'client_secret', 'password', 'passwd', 'pwd', 'auth', 'authorization', 'code', 'sig', 'signature',
    'x-amz-signature', 'X-Amz-Credential', 'x-amz-security-token', 'session', 'SessionId', 'private_token',
    'accessToken', 'my_api_key', 'webhookSecret', 'oldPassword', 'x-goog-signature', 'credentials',
  ])('%s is secret', (name) => {
    expect(isSecretParamName(name)).toBe(true);
  });

  it.each(['', 'page', 'q', 'monkey', 'zipcode', 'signal', 'author', 'keys', 'sessions_count', 'state', 'redirect_uri'])(
    '%s is not',
    (name) => {
      expect(isSecretParamName(name)).toBe(false);
    },
  );
});
