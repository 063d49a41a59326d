/**
 * The shape of one `patterns/<family>.yaml` file (format: patterns/README.md). Strict: an unknown key is a
 * typo that would silently drop a check (a misspelt `minEntropy` must not turn a context rule into a
 * match-everything rule), so it is refused like any other error.
 */
import { z } from 'zod';

/** Upper bound for `maxLength`: it sizes the streaming tail every redactor holds back, per stream. */
export const MAX_RULE_LENGTH = 16 * 1024;
export const DEFAULT_RULE_LENGTH = 256;
export const MIN_KEYWORD_LENGTH = 3;

const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;
// Keywords are matched ASCII case-insensitively on bytes, so they must be printable ASCII.
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

export const VALIDATOR_NAMES = ['github_crc32', 'jwt', 'none'] as const;
export type ValidatorName = (typeof VALIDATOR_NAMES)[number];

export const HOLDERS = ['human', 'automation', 'unknown'] as const;
export type Holder = (typeof HOLDERS)[number];

export const ruleSchema = z.strictObject({
  id: z.string().regex(KEBAB_CASE, 'expected a kebab-case id such as "github-classic-pat"'),
  description: z.string().min(1),
  kind: z.string().regex(SNAKE_CASE, 'expected a snake_case kind such as "github_classic_pat"'),
  regex: z.string().min(1),
  secretGroup: z.number().int().min(0).optional(),
  keywords: z
    .array(
      z
        .string()
        .min(MIN_KEYWORD_LENGTH, `a keyword has at least ${MIN_KEYWORD_LENGTH} characters`)
        .regex(PRINTABLE_ASCII, 'a keyword is printable ASCII'),
    )
    .min(1),
  maxLength: z.number().int().min(MIN_KEYWORD_LENGTH).max(MAX_RULE_LENGTH).optional(),
  // Where a keyword starts at the latest, counted from the match start: the scanner only tries match starts
  // up to this far before a keyword hit (default: maxLength minus the shortest keyword).
  keywordOffset: z.number().int().min(0).max(MAX_RULE_LENGTH).optional(),
  minEntropy: z.number().min(0).max(8).optional(),
  validate: z.enum(VALIDATOR_NAMES).optional(),
  holder: z.enum(HOLDERS),
  examples: z.strictObject({
    match: z.array(z.string().min(1)).min(1),
    noMatch: z.array(z.string()).min(1),
  }),
});

const fileFrame = {
  family: z.string().regex(KEBAB_CASE, 'expected a lowercase family name with hyphens'),
  description: z.string().min(1),
};

/** The file around its rules; each rule is validated on its own (ruleSchema) so all problems surface at once. */
export const patternFileFrameSchema = z.strictObject({ ...fileFrame, rules: z.array(z.unknown()).min(1) });
export type RuleSpec = z.infer<typeof ruleSchema>;
