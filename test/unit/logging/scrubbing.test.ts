/**
 * Every line the process writes passes through the secret scanner: audit lines (JSON stays valid) and
 * pino process logs (free text and structured fields), in raw, JSON-escaped and percent-encoded forms.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLineScrubber } from '../../../src/logging/line-scrubber.js';
import { createProcessLogger, scrubbingDestination } from '../../../src/logging/process-logger.js';
import { testScanner } from '../../helpers/proxy.js';

// Synthetic values in the providers' formats.
const GITHUB = 'ghp_R7q2VxK9mB4tY8wZ1cN6pL3sD5fH0jA2kE9u';
const SLACK = 'xoxb-2048573910-4829105738-Qm8TzR2vXk9LpW3nYb7HcJ5d';
const AWS_ID = 'AKIAQYLPMN5HFIQR7LBT';
const SECRETS = [GITHUB, SLACK, AWS_ID];

describe('audit line scrubbing', () => {
  const scrub = createLineScrubber(testScanner());

  it.each([
    ['a raw value in a string field', { detail: `upstream said ${GITHUB}` }],
    ['a JSON-escaped value (\\/ and \\u00XX)', { path: `/hooks/${SLACK}`.replaceAll('/', '\\/'), note: AWS_ID.replace('A', '\\u0041') }],
    ['a percent-encoded value in a path', { path: `/api/${encodeURIComponent(`token ${GITHUB}`)}` }],
  ])('removes %s and keeps the line valid JSON', (_name, event) => {
    const line = scrub(JSON.stringify(event));
    // Decoded again (escapes resolved), the secrets must be gone too: not just their escaped spelling.
    const decoded = decodeURIComponent(JSON.stringify(JSON.parse(line) as unknown).replaceAll('\\/', '/'));
    for (const secret of SECRETS) expect(decoded).not.toContain(secret);
    expect(line).toContain('[REDACTED:');
  });

  it('leaves a line without secrets byte for byte alone', () => {
    const line = JSON.stringify({ sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', id: '6f1c2b1e-4b8e-4a8e-9d5e-0c7f7c3b2a11' });
    expect(scrub(line)).toBe(line);
  });
});

describe('process log scrubbing', () => {
  it('scrubs free text and structured fields before they reach the file descriptor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'egress-log-'));
    const path = join(dir, 'log.jsonl');
    const fd = openSync(path, 'w', 0o600);
    const logger = createProcessLogger(scrubbingDestination(fd, createLineScrubber(testScanner())));
    logger.error({ upstream: { message: `rejected token ${GITHUB}` }, headers: { authorization: 'Bearer opaque-value-1234567890abcdef' } }, `call with ${SLACK} failed`);
    logger.info({ url: `https://example.test/?key=${AWS_ID}` }, 'plain');
    closeSync(fd);
    const text = readFileSync(path, 'utf8');
    const lines = text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    for (const secret of [...SECRETS, 'opaque-value-1234567890abcdef']) expect(text).not.toContain(secret);
  });
});
