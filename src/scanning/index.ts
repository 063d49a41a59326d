/**
 * Secret detection and redaction (issue "Secret detection and redaction", items 5-7, 9, 11): load the
 * `patterns/` catalogue once, then scan and redact Buffers, strings, streams and JSON Lines.
 *
 *   const scanner = createScanner(loadCatalogue());
 *   scanner.redact(body).output;                       // [REDACTED:<kind>] in place of each secret
 *   source.pipe(createRedactStream(scanner)).pipe(sink); // across chunk boundaries, constant memory
 */
export { loadCatalogue, defaultPatternsDirectory, type Catalogue } from './load-catalogue.js';
export { PatternCatalogueError, PATTERNS_INVALID, formatProblem, type PatternProblem } from './errors.js';
export type { CompiledRule } from './compile-rule.js';
export type { Holder, ValidatorName } from './catalogue-schema.js';
export { createScanner, type Scanner, type ScannerOptions, type StringRedactResult } from './scanner.js';
export type { Finding } from './findings.js';
export type { RuleMatch } from './rule-matcher.js';
export type { AllowlistOptions } from './allowlist.js';
export type { RedactOptions, RedactResult, SecretFingerprinter } from './redaction.js';
export { createRedactStream, StreamRedactor, type StreamRedactOptions } from './stream-redactor.js';
export { redactEncoded, findEncodedMatches, type EncodedForms } from './encoded-redaction.js';
export { createJsonLinesRedactStream, JsonLinesRedactor, type JsonLinesOptions } from './json-lines-redactor.js';
export { githubCrc32, jwtShape, base62Crc32 } from './validators.js';
export { shannonEntropy } from './entropy.js';
export { rawMatcher, redactorTransform, type ChunkRedactor, type RoundScan, type StreamMatcher } from './stream-redactor.js';
export {
  createEncodedRedactStream,
  createEncodedStreamRedactor,
  encodedMatcher,
  type EncodedStreamRedactOptions,
} from './encoded-stream-redactor.js';
