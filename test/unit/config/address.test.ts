/** Listen addresses and both sides of `upstream.resolve`, as written in the config. */
import { describe, expect, it } from 'vitest';
import { parseAuthorityKey, parseDialTarget, parseListenAddress } from '../../../src/config/address.js';

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:18080', { host: '127.0.0.1', port: 18080 }],
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['[0:0:0:0:0:0:0:1]:8080', { host: '::1', port: 8080 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['8080', { host: '127.0.0.1', port: 8080 }],
    [8080, { host: '127.0.0.1', port: 8080 }],
    [0, { host: '127.0.0.1', port: 0 }],
    [' 127.0.0.1:1 ', { host: '127.0.0.1', port: 1 }],
  ])('%j -> %j', (input, expected) => {
    expect(parseListenAddress(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['::1:8080', 'an IPv6 address goes in brackets'],
    ['::1', 'an IPv6 address goes in brackets'],
    ['localhost:8080', 'the listen host must be an IP address'],
    ['example.test:8080', 'the listen host must be an IP address'],
    ['[127.0.0.1]:8080', 'only IPv6 addresses go in brackets'],
    ['[fe80::1%eth0]:8080', 'the listen host must be an IP address'],
    ['127.0.0.1', 'no port'],
    [':8080', 'no host'],
    ['127.0.0.1:http', 'port must be a number from 0 to 65535'],
    ['127.0.0.1:65536', 'port must be a number from 0 to 65535'],
    ['[::1]8080', 'expected "[address]:port"'],
    [70000, 'port must be an integer from 0 to 65535, got 70000'],
    ['70000', 'port must be an integer from 0 to 65535, got 70000'],
    [-1, 'port must be an integer from 0 to 65535, got -1'],
    [80.5, 'port must be an integer from 0 to 65535, got 80.5'],
  ])('%j is refused: %s', (input, problem) => {
    const parsed = parseListenAddress(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('parseDialTarget', () => {
  it.each([
    ['127.0.0.1:18443', { host: '127.0.0.1', port: 18443 }],
    ['[::1]:443', { host: '::1', port: 443 }],
    ['[2001:DB8::1]:443', { host: '2001:db8::1', port: 443 }],
  ])('%s -> %j', (input, expected) => {
    expect(parseDialTarget(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['backend.test:443', 'the target must be an IP address'],
    ['127.0.0.1:0', 'port must be a number from 1 to 65535'],
    ['8443', 'no port'],
  ])('%s is refused: %s', (input, problem) => {
    const parsed = parseDialTarget(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('parseAuthorityKey', () => {
  it.each([
    ['api.example.test:443', 'api.example.test:443'],
    ['API.Example.TEST.:443', 'api.example.test:443'],
    ['bücher.example:443', 'xn--bcher-kva.example:443'],
    ['[::1]:8443', '[::1]:8443'],
    ['[2001:DB8:0::1]:443', '[2001:db8::1]:443'],
    ['10.0.0.1:443', '10.0.0.1:443'],
  ])('%s -> %s', (input, expected) => {
    expect(parseAuthorityKey(input)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['api.example.test', 'no port'],
    ['bad host!:443', 'not a valid host name'],
    ['2130706433:443', 'numeric host'],
    ['a.test:0', 'port must be a number from 1 to 65535'],
  ])('%s is refused: %s', (input, problem) => {
    const parsed = parseAuthorityKey(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});
