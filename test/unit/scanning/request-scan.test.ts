/**
 * The exfiltration scan of one outgoing request, over the real catalogue: each finding is located in the
 * part it lies in (`request.header.<name>`, `request.path`, `request.query.<param>`, `request.body`),
 * seen through the encodings the part is written in, and never carries the secret (not in the finding,
 * not in the location, not even as a header or parameter name). `redactRequest` rewrites only the spans
 * it is given and leaves every other byte as it was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactRequest, scanRequest, type LocatedFinding, type OutgoingRequest } from '../../../src/scanning/request-scan.js';
import { shannonEntropy } from '../../../src/scanning/index.js';
import { testScanner } from '../../helpers/proxy.js';
import { BASE62, githubToken } from './helpers.js';

const scanner = testScanner();

const GH = 'ghp_R7c2Lq9XvB4nT8mK1pZs6YwH3dF0aJ5eGu2N';
const AWS = 'AKIAZ7QX3MPL4RT2VW6Y';
const SLACK = 'https://hooks.slack.com/services/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';
// The slack rule's secret is the path after /services/: that part goes, the host stays.
const SLACK_SECRET = 'T024BE7LD/B08R2Q3TA5M/Xq7vB2nX9kL4pR8tW1zY6cHd';
const SLACK_REDACTED = 'https://hooks.slack.com/services/[REDACTED:slack_webhook_url]';
const enc = encodeURIComponent;

function request(parts: Partial<OutgoingRequest>): OutgoingRequest {
  return { rawHeaders: [], path: '/', query: '', body: null, bodyForms: { json: true, percent: true }, ...parts };
}

const summary = (found: readonly LocatedFinding[]) => found.map((f) => [f.location, f.finding.kind]);

/** Neither a finding nor its location may hold the secret, or a telling piece of it, in any form. */
function expectNoSecretIn(found: readonly LocatedFinding[], secrets: readonly string[]): void {
  const text = JSON.stringify(found).toLowerCase();
  for (const secret of secrets) {
    for (const form of [secret, enc(secret), secret.slice(-16)]) expect(text).not.toContain(form.toLowerCase());
  }
}

describe('scanRequest: headers', () => {
  it.each([
    ['a token in a custom header', ['X-Note', GH], 'request.header.x-note', 'github_classic_pat'],
    ['the name lower-cased', ['X-Upload-Meta', `key=${AWS}`], 'request.header.x-upload-meta', 'aws_access_key_id'],
    ['a percent-encoded webhook URL', ['X-Callback', enc(SLACK)], 'request.header.x-callback', 'slack_webhook_url'],
    ['a name that is not plain (space)', ['X Note', GH], 'request.header', 'github_classic_pat'],
    ['a name that is not plain (non-ASCII)', ['x-nötiz', GH], 'request.header', 'github_classic_pat'],
    ['a name longer than 64 characters', [`x-${'a'.repeat(63)}`, GH], 'request.header', 'github_classic_pat'],
  ])('%s', (_what, rawHeaders, location, kind) => {
    const found = scanRequest(scanner, request({ rawHeaders }));
    expect(summary(found)).toEqual([[location, kind]]);
    expect(found[0]!.where).toEqual({ part: 'header', index: 0 });
    expectNoSecretIn(found, [GH, AWS, SLACK_SECRET]);
  });

  it.each([
    ['a name that is itself a token', [GH, AWS], 'aws_access_key_id', 'github_classic_pat'],
    ['a name that is an AWS key id (judged before lower-casing)', [AWS, GH], 'github_classic_pat', 'aws_access_key_id'],
  ])('%s: the value is located generically, the name as request.header-name', (_what, rawHeaders, valueKind, nameKind) => {
    const found = scanRequest(scanner, request({ rawHeaders }));
    expect(found.map((f) => [f.where, f.location, f.finding.kind])).toEqual([
      [{ part: 'header', index: 0 }, 'request.header', valueKind],
      [{ part: 'header-name', index: 0 }, 'request.header-name', nameKind],
    ]);
    expectNoSecretIn(found, [GH, AWS, SLACK_SECRET]);
  });

  it('finds a secret carried out as a header name, and redaction drops that header whole', () => {
    const rawHeaders = ['Accept', 'application/json', `X-${GH}`, '1', 'X-Trace', 'abc'];
    const found = scanRequest(scanner, request({ rawHeaders }));
    expect(found.map((f) => [f.where, f.location, f.finding.kind])).toEqual([
      [{ part: 'header-name', index: 2 }, 'request.header-name', 'github_classic_pat'],
    ]);
    expect(redactRequest(request({ rawHeaders }), found).rawHeaders).toEqual(['Accept', 'application/json', 'X-Trace', 'abc']);
  });

  it('skips the values of unscanned headers (any case), yet keeps every other header located right', () => {
    const rawHeaders = ['Authorization', `Bearer ${GH}`, 'X-Note', AWS, 'COOKIE', `s=${GH}`, 'X-Last', GH];
    const found = scanRequest(scanner, request({ rawHeaders, unscannedHeaders: new Set(['authorization', 'cookie']) }));
    expect(found.map((f) => [f.where, f.location, f.finding.kind])).toEqual([
      [{ part: 'header', index: 2 }, 'request.header.x-note', 'aws_access_key_id'],
      [{ part: 'header', index: 6 }, 'request.header.x-last', 'github_classic_pat'],
    ]);
    expect(redactRequest(request({ rawHeaders }), found).rawHeaders).toEqual([
      'Authorization', `Bearer ${GH}`, 'X-Note', '[REDACTED:aws_access_key_id]', 'COOKIE', `s=${GH}`, 'X-Last', '[REDACTED:github_classic_pat]',
    ]);
  });

  it('points at the header by the index of its name, one entry per finding', () => {
    const rawHeaders = ['Accept', 'application/json', 'X-Note', `${GH} and ${AWS}`, 'X-Trace', SLACK];
    const found = scanRequest(scanner, request({ rawHeaders }));
    expect(found.map((f) => [f.where, f.location, f.finding.kind])).toEqual([
      [{ part: 'header', index: 2 }, 'request.header.x-note', 'github_classic_pat'],
      [{ part: 'header', index: 2 }, 'request.header.x-note', 'aws_access_key_id'],
      [{ part: 'header', index: 4 }, 'request.header.x-trace', 'slack_webhook_url'],
    ]);
  });
});

describe('scanRequest: path and query', () => {
  it.each([
    ['a token as a path segment', `/v1/upload/${GH}/x`, 'request.path'],
    ['a percent-encoded token in the path', `/files/${enc(`${GH} `)}`.replace('_', '%5F'), 'request.path'],
    ['a webhook URL in the path', `/relay/${SLACK}`, 'request.path'],
  ])('%s', (_what, path, location) => {
    const found = scanRequest(scanner, request({ path }));
    expect(found.map((f) => [f.location, f.where.part])).toEqual([[location, 'path']]);
  });

  it.each([
    ['the first parameter', `text=${GH}&page=2&sort=asc`, 'request.query.text'],
    ['a middle parameter', `page=2&text=${GH}&sort=asc`, 'request.query.text'],
    ['the last parameter', `page=2&sort=asc&text=${GH}`, 'request.query.text'],
    ['the only parameter', `text=${GH}`, 'request.query.text'],
    ['after a parameter without `=`', `flag&text=${GH}&x`, 'request.query.text'],
    ['inside the value, after other words', `q=deploy+with+${GH}+now`, 'request.query.q'],
    ['a percent-encoded token', `q=${GH.replace('_', '%5F')}`, 'request.query.q'],
    ['a percent-encoded webhook URL', `cb=${enc(SLACK)}&n=1`, 'request.query.cb'],
    ['a percent-encoded parameter name, decoded', `my%5Fnote=${AWS}`, 'request.query.my_note'],
    ['a name that decodes to one that is not plain', `my+note=${AWS}`, 'request.query'],
    ['a name that does not decode', `bad%E0=${AWS}`, 'request.query'],
    ['a webhook URL written raw', `u=${SLACK}`, 'request.query.u'],
    // The secret is the parameter (or its name): naming the parameter would write the secret down.
    ['a parameter without `=` that is the token', `page=2&${GH}&sort=asc`, 'request.query'],
    ['a token as the last parameter, without `=`', `page=2&${AWS}`, 'request.query'],
    ['a token as a parameter name', `${GH}=1&page=2`, 'request.query'],
    ['a percent-encoded token as a parameter name', `${GH.replace('_', '%5F')}=1`, 'request.query'],
  ])('%s', (_what, query, location) => {
    const found = scanRequest(scanner, request({ query }));
    expect(found.map((f) => [f.location, f.where.part])).toEqual([[location, 'query']]);
    expectNoSecretIn(found, [GH, AWS, SLACK_SECRET]);
  });

  it('names the right parameter for each of several secrets', () => {
    const found = scanRequest(scanner, request({ query: `a=${GH}&b=1&c=${AWS}&d=${enc(SLACK)}` }));
    expect(summary(found)).toEqual([
      ['request.query.a', 'github_classic_pat'],
      ['request.query.c', 'aws_access_key_id'],
      ['request.query.d', 'slack_webhook_url'],
    ]);
  });

  it('does not name a parameter whose name is a token, even for a secret in its value', () => {
    const found = scanRequest(scanner, request({ query: `${GH}=${AWS}` }));
    expect(summary(found)).toEqual([['request.query', 'github_classic_pat'], ['request.query', 'aws_access_key_id']]);
    expectNoSecretIn(found, [GH, AWS]);
  });
});

describe('scanRequest: body', () => {
  const JSON_FORMS = { json: true, percent: false };
  const FORM_FORMS = { json: false, percent: true };
  it.each([
    ['raw text', `deploy key ${AWS}\n`, JSON_FORMS, 'aws_access_key_id'],
    ['JSON with escaped slashes', JSON.stringify({ url: SLACK }).replaceAll('/', '\\/'), JSON_FORMS, 'slack_webhook_url'],
    ['JSON with a \\u00XX escape inside the token', `{"t":"${GH.replace('_', '\\u005f')}"}`, JSON_FORMS, 'github_classic_pat'],
    ['JSON with \\u0041-style escapes of letters', `{"t":"${AWS.replace('AKIA', '\\u0041KI\\u0041')}"}`, JSON_FORMS, 'aws_access_key_id'],
    ['a percent-encoded form body', `title=x&hook=${enc(SLACK)}`, FORM_FORMS, 'slack_webhook_url'],
    ['a form body with an encoded `_`', `title=x&text=${GH.replace('_', '%5F')}`, FORM_FORMS, 'github_classic_pat'],
  ])('%s', (_what, body, bodyForms, kind) => {
    const found = scanRequest(scanner, request({ body: Buffer.from(body), bodyForms }));
    expect(summary(found)).toEqual([['request.body', kind]]);
    expect(found[0]!.where).toEqual({ part: 'body' });
  });

  it('looks through only the encodings the body is written in', () => {
    const form = Buffer.from(`text=${GH.replace('_', '%5F')}`);
    expect(scanRequest(scanner, request({ body: form, bodyForms: { json: true, percent: false } }))).toEqual([]);
  });

  it.each([
    ['no body', null],
    ['an empty body', Buffer.alloc(0)],
  ])('%s: nothing to find', (_what, body) => {
    expect(scanRequest(scanner, request({ body }))).toEqual([]);
  });
});

describe('scanRequest: clean requests', () => {
  const SHA1 = '3f786850e387550fdab836ed7e6dc881de23001b';
  const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  const UUID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
  const BLOB = Buffer.from(Array.from({ length: 600 }, (_, i) => (i * 193 + 71) % 256)).toString('base64');
  it.each([
    ['a commit SHA in the path and an ETag', request({ path: `/repos/octo/demo/commits/${SHA1}`, rawHeaders: ['If-None-Match', `W/"${SHA256}"`, 'ETag', `"${SHA1}"`] })],
    ['UUIDs in headers and query', request({ rawHeaders: ['X-Request-Id', UUID, 'traceparent', `00-${SHA1.slice(0, 32)}-${SHA1.slice(0, 16)}-01`], query: `id=${UUID}&digest=sha256%3A${SHA256}` })],
    ['a base64 blob in a JSON body', request({ body: Buffer.from(JSON.stringify({ name: 'a.png', sha256: SHA256, data: BLOB })) })],
    ['a base64 blob in a form body', request({ body: Buffer.from(`file=${enc(BLOB)}&id=${UUID}`), bodyForms: { json: false, percent: true } })],
    ['ordinary headers', request({ rawHeaders: ['User-Agent', 'node-fetch/3.3.2', 'Accept-Encoding', 'gzip, br', 'Content-Type', 'application/json; charset=utf-8', 'Date', 'Fri, 27 Nov 2026 03:04:46 GMT'] })],
  ])('%s', (_what, clean) => {
    expect(scanRequest(scanner, clean)).toEqual([]);
  });
});

describe('scanRequest: the whole head at once', () => {
  // Most requests are judged by one look at all header values, names, path and query together (no keyword,
  // no `%`: nothing to find); that look must never change what scanning each part alone finds.
  const piece = fc.constantFrom('ghp_', 'AKIA', 'token=', 'Bearer ', 'xoxb-', 'path', 'plain', ' ', '=', '/', '&', '%', GH, AWS, SLACK, GH.slice(4));
  const text = fc.array(piece, { maxLength: 6 }).map((pieces) => pieces.join(''));
  const unscannedHeaders = new Set(['authorization']);

  it('finds in a request exactly what it finds in each part sent alone', () => {
    const header = fc.tuple(fc.constantFrom('X-Note', 'Accept', 'AUTHORIZATION', 'x-ghp_'), text);
    fc.assert(
      fc.property(fc.array(header, { maxLength: 4 }), text, text, (headers, path, query) => {
        const rawHeaders = headers.flat();
        const whole = scanRequest(scanner, request({ rawHeaders, path: `/${path}`, query, unscannedHeaders }));
        const alone = [
          ...scanRequest(scanner, request({ rawHeaders, path: '', unscannedHeaders })),
          ...scanRequest(scanner, request({ path: `/${path}` })),
          ...scanRequest(scanner, request({ path: '', query })),
        ];
        expect(whole).toEqual(alone);
      }),
      { numRuns: 300 },
    );
  });

  it('does not join a keyword at the end of one part to what starts the next', () => {
    const rawHeaders = ['X-Note', 'see ghp_', 'X-Trace', GH.slice(4)];
    expect(scanRequest(scanner, request({ rawHeaders, path: `/ghp_`, query: GH.slice(4) }))).toEqual([]);
  });
});

describe('redactRequest', () => {
  it('replaces only the headers the findings point at, by index', () => {
    const original = request({ rawHeaders: ['X-Note', GH, 'Accept', '*/*', 'X-Note', `again ${GH} end`] });
    const found = scanRequest(scanner, original);
    const onlySecond = found.filter((f) => f.where.part === 'header' && f.where.index === 4);
    expect(redactRequest(original, onlySecond).rawHeaders).toEqual(['X-Note', GH, 'Accept', '*/*', 'X-Note', 'again [REDACTED:github_classic_pat] end']);
    expect(redactRequest(original, found).rawHeaders).toEqual([
      'X-Note', '[REDACTED:github_classic_pat]', 'Accept', '*/*', 'X-Note', 'again [REDACTED:github_classic_pat] end',
    ]);
    expect(original.rawHeaders[1]).toBe(GH); // the input is not mutated
  });

  it('keeps the query &-structured, each parameter under its name', () => {
    const original = request({ query: `a=1&text=${GH}&k=${AWS}&cb=${enc(SLACK)}&z` });
    const { query } = redactRequest(original, scanRequest(scanner, original));
    expect(query).toBe(`a=1&text=[REDACTED:github_classic_pat]&k=[REDACTED:aws_access_key_id]&cb=${enc('https://hooks.slack.com/services/')}[REDACTED:slack_webhook_url]&z`);
    expect(query.split('&').map((pair) => pair.split('=')[0])).toEqual(['a', 'text', 'k', 'cb', 'z']);
  });

  it('rewrites only the secret path part of a webhook URL', () => {
    const original = request({ path: `/relay/${SLACK}` });
    expect(redactRequest(original, scanRequest(scanner, original)).path).toBe(`/relay/${SLACK_REDACTED}`);
  });

  it('leaves body bytes outside the spans identical, invalid UTF-8 included', () => {
    const head = Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22]);
    const tail = Buffer.from([0x22, 0x7d, 0x0a, 0xc3, 0x28, 0x80]);
    const body = Buffer.concat([head, Buffer.from(SLACK.replaceAll('/', '\\/')), tail]);
    const original = request({ body, bodyForms: { json: true, percent: false } });
    const output = redactRequest(original, scanRequest(scanner, original)).body!;
    expect(output.subarray(0, head.length)).toEqual(head);
    expect(output.subarray(output.length - tail.length)).toEqual(tail);
    expect(output.subarray(head.length, output.length - tail.length).toString('latin1')).toBe('https:\\/\\/hooks.slack.com\\/services\\/[REDACTED:slack_webhook_url]');
  });

  it('touches only the parts its findings name, and writes fingerprint markers when asked', () => {
    const original = request({ rawHeaders: ['X-Note', GH], path: `/p/${AWS}`, query: `t=${GH}`, body: Buffer.from(`{"k":"${AWS}"}`) });
    const queryOnly = scanRequest(scanner, original).filter((f) => f.where.part === 'query');
    const redacted = redactRequest(original, queryOnly, { fingerprint: () => 'hmac-sha256:0123456789abcdef' });
    expect(redacted).toEqual({ rawHeaders: ['X-Note', GH], path: `/p/${AWS}`, query: 't=[REDACTED:github_classic_pat:01234567]', body: original.body });
  });

  it('changes nothing without findings, and keeps a missing body missing', () => {
    const original = request({ rawHeaders: ['A', 'b'], path: '/x', query: 'q=1' });
    expect(redactRequest(original, [])).toEqual({ rawHeaders: ['A', 'b'], path: '/x', query: 'q=1', body: null });
  });
});

// --- Properties: a secret of each kind, anywhere in random ASCII, is found and does not survive. ---

interface Secret {
  readonly kind: string;
  readonly value: string;
  /** Pieces that must not survive redaction, in any encoding. */
  readonly cores: readonly string[];
}

const chars = (alphabet: string, length: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: length, maxLength: length }).map((list) => list.join(''));
const random = (alphabet: string, length: number, minEntropy: number) => chars(alphabet, length).filter((s) => shannonEntropy(Buffer.from(s)) >= minEntropy);
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

const SECRETS: Record<string, fc.Arbitrary<Secret>> = {
  github_classic_pat: random(BASE62, 30, 4).map((r) => ({ kind: 'github_classic_pat', value: githubToken('ghp', r), cores: [r] })),
  aws_access_key_id: random('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16, 3.5).map((r) => ({ kind: 'aws_access_key_id', value: `AKIA${r}`, cores: [r] })),
  slack_webhook_url: fc
    .tuple(chars(UPPER_DIGITS, 8), chars(UPPER_DIGITS, 10), random(BASE62, 24, 4))
    .map(([team, hook, token]) => {
      const path = `T${team}/B${hook}/${token}`;
      return { kind: 'slack_webhook_url', value: `https://hooks.slack.com/services/${path}`, cores: [token, path] };
    }),
};

// Printable ASCII; a space on each side of the secret, as text puts one between words.
const ascii = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const headerName = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'), minLength: 1, maxLength: 16 }).map((n) => `X-${n}`);
const paramName = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), minLength: 1, maxLength: 12 });
// Other parameters, some without `=` or without a value.
const otherParams = fc.array(fc.tuple(paramName, ascii, fc.constantFrom('=', '')).map(([n, v, eq]) => (eq === '' ? n : `${n}=${enc(v)}`)), { maxLength: 3 });

interface Placement {
  readonly request: OutgoingRequest;
  readonly location: string;
  readonly part: 'header' | 'query' | 'body';
  /** The redacted request's text for that part. */
  readonly after: (redacted: ReturnType<typeof redactRequest>) => string;
}

const PLACEMENTS: Record<string, (secret: Secret) => fc.Arbitrary<Placement>> = {
  'a header value': (s) =>
    fc.tuple(headerName, ascii, ascii).map(([name, a, b]) => ({
      request: request({ rawHeaders: ['Accept', '*/*', name, `${a} ${s.value} ${b}`] }),
      location: `request.header.${name.toLowerCase()}`,
      part: 'header',
      after: (r) => r.rawHeaders.join('\n'),
    })),
  'a query value (first, middle or last parameter)': (s) =>
    fc.tuple(paramName, ascii, ascii, otherParams, otherParams).map(([name, a, b, before, after]) => {
      const query = [...before, `${name}=${enc(`${a} ${s.value} ${b}`)}`, ...after].join('&');
      return { request: request({ query }), location: `request.query.${name}`, part: 'query', after: (r) => r.query };
    }),
  'a JSON string value': (s) =>
    fc.tuple(paramName, ascii, ascii, fc.boolean()).map(([key, a, b, escapeSlashes]) => {
      // The key is prefixed: a generated `id` or `ok` would otherwise be overwritten by the fixed fields.
      const json = JSON.stringify({ id: 7, [`f_${key}`]: `${a} ${s.value} ${b}`, ok: true });
      const body = Buffer.from(escapeSlashes ? json.replaceAll('/', '\\/') : json);
      return { request: request({ body, bodyForms: { json: true, percent: false } }), location: 'request.body', part: 'body', after: (r) => r.body!.toString('latin1') };
    }),
};

function survives(text: string, secret: Secret): boolean {
  const forms = secret.cores.flatMap((core) => [core, enc(core), core.replaceAll('/', '\\/')]);
  return forms.some((form) => text.includes(form));
}

const propertyCases = Object.entries(SECRETS).flatMap(([kind, secret]) =>
  Object.entries(PLACEMENTS).map(([where, placement]) => ({ name: `${kind} in ${where}`, input: secret.chain((s) => placement(s).map((p) => ({ s, p }))) })),
);

describe('properties', () => {
  // A context rule may claim the span too (`pw=` before a percent-encoded webhook reports `password`);
  // the secret's own rule is then among the finding's ruleIds.
  const kindOfRule = new Map(scanner.rules.map((rule) => [rule.id, rule.kind]));
  const kindsOf = (f: LocatedFinding) => [f.finding.kind, ...f.finding.ruleIds.map((id) => kindOfRule.get(id))];

  it.each(propertyCases)('$name: found, located, never written down, and gone after redactRequest', ({ input }) => {
    fc.assert(
      fc.property(input, ({ s, p }) => {
        const found = scanRequest(scanner, p.request);
        const here = found.filter((f) => f.location === p.location && f.where.part === p.part);
        expect(here.flatMap(kindsOf)).toContain(s.kind);
        expect(survives(JSON.stringify(found), s)).toBe(false);
        expect(survives(p.after(redactRequest(p.request, found)), s)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
