/**
 * Loading the catalogue: every problem in every file is reported at once, each naming the file and the
 * key path, and any problem refuses the whole catalogue with the `patterns_invalid` code.
 */
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { captureGroupCount } from '../../../src/scanning/compile-rule.js';
import { defaultPatternsDirectory, loadCatalogue, PatternCatalogueError, type PatternProblem } from '../../../src/scanning/index.js';
import { familyYaml, patternsDir, type TestRule } from './helpers.js';

const GOOD: TestRule = { id: 'acme-api-key', regex: '\\b(acme_[a-z0-9]{16})\\b', keywords: ['acme_'], secretGroup: 1 };

function problemsOf(files: Readonly<Record<string, string>>): PatternProblem[] {
  try {
    loadCatalogue(patternsDir(files));
  } catch (error) {
    expect(error).toBeInstanceOf(PatternCatalogueError);
    expect((error as PatternCatalogueError).code).toBe('patterns_invalid');
    return [...(error as PatternCatalogueError).problems];
  }
  throw new Error('the catalogue loaded');
}

const where = (problem: PatternProblem): string => `${problem.file.split('/').pop()}: ${problem.path}`;

describe('loadCatalogue', () => {
  it('compiles a valid file with defaults applied', () => {
    const catalogue = loadCatalogue(patternsDir({ 'acme.yaml': familyYaml('acme', [GOOD]), 'README.md': '# not a pattern file' }));
    expect(catalogue.rules.map((rule) => [rule.id, rule.family, rule.maxLength, rule.secretGroup])).toEqual([['acme-api-key', 'acme', 256, 1]]);
  });

  it('finds the repository catalogue from the module location by default', () => {
    expect(defaultPatternsDirectory()).toMatch(/[\\/]patterns[\\/]?$/);
    expect(loadCatalogue().rules.length).toBeGreaterThan(0);
  });

  it.each([
    ['an unknown key', { ...GOOD, extraYaml: '    minEntopy: 3\n' }, 'rules[0].minEntopy'],
    ['a keyword shorter than 3 characters', { ...GOOD, keywords: ['ac'] }, 'rules[0].keywords[0]'],
    ['no keywords', { ...GOOD, keywords: [] }, 'rules[0].keywords'],
    ['a non-ASCII keyword', { ...GOOD, keywords: ['clé_'] }, 'rules[0].keywords[0]'],
    ['lookahead (not RE2)', { ...GOOD, regex: 'acme_(?=[a-z])' }, 'rules[0].regex'],
    ['a backreference (not RE2)', { ...GOOD, regex: '(acme_)\\1' }, 'rules[0].regex'],
    ['a secretGroup the regex does not have', { ...GOOD, secretGroup: 2 }, 'rules[0].secretGroup'],
    ['a maxLength shorter than a keyword', { ...GOOD, keywords: ['acme_api_key_'], maxLength: 8 }, 'rules[0].maxLength'],
    ['a maxLength beyond the cap', { ...GOOD, maxLength: 100_000 }, 'rules[0].maxLength'],
    ['an unknown validator', { ...GOOD, validate: 'luhn' }, 'rules[0].validate'],
    ['a kind that is not snake_case', { ...GOOD, kind: 'Acme-Key' }, 'rules[0].kind'],
    ['a keywordOffset that leaves no room for the keyword', { ...GOOD, maxLength: 20, extraYaml: '    keywordOffset: 19\n' }, 'rules[0].keywordOffset'],
    ['a negative keywordOffset', { ...GOOD, extraYaml: '    keywordOffset: -1\n' }, 'rules[0].keywordOffset'],
  ])('refuses %s, naming file and key path', (_what, rule: TestRule, path) => {
    expect(problemsOf({ 'acme.yaml': familyYaml('acme', [rule]) }).map(where)).toContain(`acme.yaml: ${path}`);
  });

  it('lists every problem of every file together', () => {
    const problems = problemsOf({
      'acme.yaml': familyYaml('acme', [GOOD, { ...GOOD, regex: '(' }]),
      'other.yaml': familyYaml('not-other', [{ ...GOOD, id: 'acme-api-key' }]),
      'broken.yaml': 'family: broken\nrules: [\n',
    });
    expect(problems.map(where)).toEqual([
      'acme.yaml: rules[1].id',
      'acme.yaml: rules[1].regex',
      'broken.yaml: ',
      'other.yaml: family',
      'other.yaml: rules[0].id',
    ]);
    expect(problems.find((p) => p.file.endsWith('broken.yaml'))?.line).toBeGreaterThan(0);
  });

  it('formats problems as `file: key.path: message`, one per line', () => {
    try {
      loadCatalogue(patternsDir({ 'acme.yaml': familyYaml('acme', [{ ...GOOD, keywords: ['ac'] }]) }));
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/^Invalid secret pattern catalogue in \S+ \(1 problem\):\n {2}[\w-]+\/acme\.yaml: rules\[0\]\.keywords\[0\]: a keyword has at least 3 characters$/);
    }
  });

  it.each([
    ['a directory without pattern files', { 'README.md': 'x' }, 'no *.yaml pattern files'],
    ['a YAML document that is not a mapping', { 'acme.yaml': '- a\n- b\n' }, 'expected object'],
    ['duplicate keys', { 'acme.yaml': `${familyYaml('acme', [GOOD])}family: acme\n` }, 'YAML'],
  ])('refuses %s', (_what, files, message) => {
    expect(problemsOf(files).map((p) => p.message).join('\n')).toContain(message);
  });

  it('refuses a directory that does not exist', () => {
    expect(() => loadCatalogue('/nonexistent/patterns')).toThrow(/cannot read the patterns directory \(ENOENT\)/);
  });
});

describe('captureGroupCount', () => {
  // The oracle: RE2 itself, through a pattern that also matches the empty string, so every group shows.
  const groupsByRe2 = (source: string): number => new RE2(`(?:${source})|`, '').exec('')!.length - 1;

  it.each([
    'plain', 'a(b)c', '(?:a)(b)', '(?i)(a)(?-i:b)', '(?P<name>a)(b)', '\\(not a group\\)', '[(]', '[]()]', '[^]()]', '[\\]](a)',
    '\\\\(a)', '((a)(b))', '(a|(b))?', '[a-z(]{2}(x)',
    ...loadCatalogue().rules.map((rule) => rule.regex.source),
  ])('%s', (source) => {
    expect(captureGroupCount(source)).toBe(groupsByRe2(source));
  });
});
