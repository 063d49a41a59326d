/**
 * The catalogue's own examples, run through the FULL engine (prefilter, windows, every check,
 * validators and the placeholder allowlist): each `examples.match` yields a finding of that rule, each
 * `examples.noMatch` none of it. Table-driven over whatever files are in patterns/.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../../../src/scanning/index.js';
import { realScanner } from './helpers.js';

const catalogue = loadCatalogue();
const scanner = realScanner();

const matchCases = catalogue.rules.flatMap((rule) => rule.examples.match.map((example, index) => ({ id: rule.id, file: rule.file, index, example })));
const noMatchCases = catalogue.rules.flatMap((rule) => rule.examples.noMatch.map((example, index) => ({ id: rule.id, file: rule.file, index, example })));

function ruleIdsFound(text: string): string[] {
  return scanner.scan(Buffer.from(text, 'utf8')).flatMap((finding) => finding.ruleIds);
}

describe('the pattern catalogue', () => {
  it('loads (strict schema, unique ids, families named after their files) and is not empty', () => {
    expect(catalogue.rules.length).toBeGreaterThan(0);
    expect(new Set(catalogue.rules.map((rule) => rule.id)).size).toBe(catalogue.rules.length);
  });

  it.each(matchCases)('$id finds examples.match[$index]', ({ id, example }) => {
    expect(ruleIdsFound(example)).toContain(id);
  });

  it.each(noMatchCases)('$id finds nothing in examples.noMatch[$index]', ({ id, example }) => {
    expect(ruleIdsFound(example)).not.toContain(id);
  });

  it.each(matchCases)('$id: examples.match[$index] leaves no secret behind after redaction', ({ example }) => {
    const { output, findings } = scanner.redact(Buffer.from(example, 'utf8'));
    const secrets = findings.map((finding) => Buffer.from(example, 'utf8').subarray(finding.start, finding.end).toString('utf8'));
    for (const secret of secrets) expect(output.toString('utf8')).not.toContain(secret);
  });
});
