/** JSON Lines: each line redacted with its JSON-escaped forms, offsets per stream, long lines in bounded memory. */
import { describe, expect, it } from 'vitest';
import { JsonLinesRedactor, type Finding } from '../../../src/scanning/index.js';
import { scannerOf } from './helpers.js';

const scanner = scannerOf('acme', [
  { id: 'acme-api-key', kind: 'acme_api_key', regex: '\\b(acme_[A-Za-z0-9]{16})\\b', secretGroup: 1, keywords: ['acme_'], maxLength: 40 },
]);

const KEY = 'acme_Zx81Qm2Lp0Rt7Yw3';
const ESCAPED = 'acme\\u005fZx81Qm2Lp0Rt7Yw3';

function run(chunks: readonly string[], maxLineBytes?: number): { output: string; findings: Finding[] } {
  const findings: Finding[] = [];
  const redactor = new JsonLinesRedactor(scanner, { onFinding: (f) => findings.push(f), ...(maxLineBytes === undefined ? {} : { maxLineBytes }) });
  const out = chunks.flatMap((chunk) => redactor.push(Buffer.from(chunk)));
  return { output: Buffer.concat([...out, ...redactor.end()]).toString(), findings };
}

describe('JsonLinesRedactor', () => {
  const lines = [`{"msg":"plain ${KEY}"}\n`, `{"msg":"escaped ${ESCAPED}"}\n`, 'not json at all, still scanned: ' + KEY + '\n', `{"last":"no newline ${ESCAPED}"}`];
  const expected = lines.map((line) => line.replace(KEY, '[REDACTED:acme_api_key]').replace(ESCAPED, '[REDACTED:acme_api_key]')).join('');

  it('redacts raw and JSON-escaped secrets line by line, the last line without a newline too', () => {
    expect(run([lines.join('')]).output).toBe(expected);
  });

  it('gives the same output however the lines are chunked', () => {
    const text = lines.join('');
    for (let point = 0; point <= text.length; point++) expect(run([text.slice(0, point), text.slice(point)]).output).toBe(expected);
  });

  it('reports offsets from the start of the stream', () => {
    const text = lines.join('');
    const { findings } = run([text]);
    expect(findings.map((f) => text.slice(f.start, f.end))).toEqual([KEY, ESCAPED, KEY, ESCAPED]);
  });

  it('streams a line longer than maxLineBytes through the plain redactor instead of buffering it', () => {
    const long = `{"blob":"${'a'.repeat(5000)} ${KEY} ${'b'.repeat(5000)}"}\n`;
    const { output, findings } = run([long.slice(0, 3000), long.slice(3000), lines[0]!], 1024);
    expect(output).toBe(long.replace(KEY, '[REDACTED:acme_api_key]') + lines[0]!.replace(KEY, '[REDACTED:acme_api_key]'));
    expect(findings.map((f) => f.start)).toEqual([long.indexOf(KEY), long.length + lines[0]!.indexOf(KEY)]);
  });
});
