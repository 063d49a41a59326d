import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hostPatternProblem } from '../../../src/policy/host-pattern.js';
import { pathGlobProblem } from '../../../src/policy/glob.js';
import { methodProblem } from '../../../src/policy/compile.js';
import { readFixture } from './fixtures.js';

const validatorTable = z.strictObject({
  valid: z.array(z.string()).min(1),
  invalid: z.array(z.strictObject({ value: z.string(), problem: z.string() })).min(1),
});
const tables = readFixture(
  'validators.yaml',
  z.strictObject({ hostPattern: validatorTable, pathGlob: validatorTable, method: validatorTable }),
);

const validators: ReadonlyArray<readonly [string, (value: string) => string | null, z.infer<typeof validatorTable>]> = [
  ['hostPatternProblem', hostPatternProblem, tables.hostPattern],
  ['pathGlobProblem', pathGlobProblem, tables.pathGlob],
  ['methodProblem', methodProblem, tables.method],
];

describe.each(validators)('%s', (_name, problemOf, table) => {
  it.each(table.valid)('accepts %j', (value) => {
    expect(problemOf(value)).toBeNull();
  });

  it.each(table.invalid)('refuses $value ($problem)', ({ value, problem }) => {
    expect(problemOf(value)).toContain(problem);
  });
});
