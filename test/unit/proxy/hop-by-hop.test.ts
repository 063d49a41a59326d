/**
 * endToEndHeaders over raw header arrays ([name, value, …] as Node's parser leaves them): connection-
 * scoped headers and the proxy credential are dropped; everything else is kept in order, with its
 * duplicates and the spelling the client used.
 */
import { describe, expect, it } from 'vitest';
import { endToEndHeaders } from '../../../src/proxy/hop-by-hop.js';

type Lines = readonly (readonly [string, string])[];
const raw = (lines: Lines): string[] => lines.flatMap(([name, value]) => [name, value]);

const E2E: Lines = [
  ['Accept', 'application/json'],
  ['X-Request-Id', 'abc'],
];

interface Case {
  readonly name: string;
  readonly lines: Lines;
  readonly kept: Lines;
}

const CASES: readonly Case[] = [
  { name: 'nothing to drop', lines: E2E, kept: E2E },
  { name: 'empty list', lines: [], kept: [] },
  ...['Connection', 'Keep-Alive', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade', 'Host'].map((header) => ({
    name: `${header} is dropped`,
    lines: [E2E[0]!, [header, header === 'Connection' ? 'keep-alive' : 'x'] as const, E2E[1]!],
    kept: E2E,
  })),
  ...['Proxy-Authorization', 'Proxy-Connection', 'proxy-authenticate', 'PROXY-Custom'].map((header) => ({
    name: `${header} is dropped`,
    lines: [[header, 'Basic cmVhZGVyOnNlY3JldA=='] as const, ...E2E],
    kept: E2E,
  })),
  {
    name: 'odd case of hop-by-hop names',
    lines: [['kEEp-aLiVe', 'timeout=5'], ['tRANSFER-eNCODING', 'chunked'], ['HOST', 'a.example.test'], ...E2E],
    kept: E2E,
  },
  {
    name: 'a header named by Connection',
    lines: [['Connection', 'X-Hop'], ['X-Hop', '1'], ...E2E],
    kept: E2E,
  },
  {
    name: 'a comma list in Connection, with spaces and empty members',
    lines: [['Connection', ' close ,X-One,, x-two ,'], ['X-One', '1'], ['x-Two', '2'], ['X-Three', '3']],
    kept: [['X-Three', '3']],
  },
  {
    name: 'several Connection lines, named headers before and after them',
    lines: [['X-Before', '1'], ['Connection', 'x-before'], ['Accept', '*/*'], ['connection', 'X-AFTER'], ['x-after', '2']],
    kept: [['Accept', '*/*']],
  },
  {
    name: 'Connection in odd case naming a header in odd case',
    lines: [['cOnNeCtIoN', 'X-sEcReT-hOp'], ['x-SeCrEt-HoP', 'v'], ['Accept', '*/*']],
    kept: [['Accept', '*/*']],
  },
  {
    name: 'a named header that appears several times: every line dropped',
    lines: [['Connection', 'x-hop'], ['X-Hop', '1'], ['Accept', '*/*'], ['X-Hop', '2']],
    kept: [['Accept', '*/*']],
  },
  {
    name: 'Connection naming a header that is not there',
    lines: [['Connection', 'x-absent'], ...E2E],
    kept: E2E,
  },
  {
    name: 'a name that only starts like a hop-by-hop one is kept',
    lines: [['Hosting', 'x'], ['TE-Extra', 'y'], ['Upgrade-Insecure-Requests', '1'], ['X-Proxy-Id', 'z'], ['Keep-Alive-Extra', 'w']],
    kept: [['Hosting', 'x'], ['TE-Extra', 'y'], ['Upgrade-Insecure-Requests', '1'], ['X-Proxy-Id', 'z'], ['Keep-Alive-Extra', 'w']],
  },
  {
    name: 'order, duplicates and case of the rest preserved',
    lines: [
      ['Proxy-Authorization', 'Basic cmVhZGVyOnNlY3JldA=='],
      ['accept', 'text/html'],
      ['Host', 'api.example.test'],
      ['Set-Cookie', 'a=1'],
      ['X-Custom', 'first'],
      ['Connection', 'keep-alive, X-Drop'],
      ['Set-Cookie', 'b=2'],
      ['X-Drop', 'gone'],
      ['x-custom', 'second'],
      ['Authorization', 'Bearer upstream-token'],
      ['Transfer-Encoding', 'chunked'],
      ['Cookie', 'c=3'],
    ],
    kept: [
      ['accept', 'text/html'],
      ['Set-Cookie', 'a=1'],
      ['X-Custom', 'first'],
      ['Set-Cookie', 'b=2'],
      ['x-custom', 'second'],
      ['Authorization', 'Bearer upstream-token'],
      ['Cookie', 'c=3'],
    ],
  },
];

describe('endToEndHeaders', () => {
  it.each(CASES)('$name', ({ lines, kept }) => {
    expect(endToEndHeaders(raw(lines))).toEqual(raw(kept));
  });

  it('does not modify its input', () => {
    const input = raw([['Connection', 'x-hop'], ['X-Hop', '1'], ...E2E]);
    const copy = [...input];
    endToEndHeaders(input);
    expect(input).toEqual(copy);
  });

  it('never forwards the proxy credential, whatever else is sent', () => {
    const credential = 'Basic cmVhZGVyOnN1cGVyLXNlY3JldA==';
    const input = raw([['Proxy-Authorization', credential], ['Connection', 'Proxy-Authorization'], ['proxy-authorization', credential], ...E2E]);
    expect(endToEndHeaders(input)).not.toContain(credential);
  });
});
