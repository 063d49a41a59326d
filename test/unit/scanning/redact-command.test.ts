/**
 * `mcp-egress redact`: a stdin -> stdout filter. In-process with injected streams for the contract, and
 * once through the real binary in a shell pipeline (as a SIEM forwarder would run it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runRedact, statsText } from '../../../src/cli/redact.js';
import { assertBuilt, BIN } from '../../helpers/cli.js';
import { cleanEnv, run } from '../../helpers/clients.js';
import { familyYaml, githubToken, patternsDir } from './helpers.js';

const PAT = githubToken('ghp', 'p7kxUkfTxLEwcCwwKCZB0Ss2B7Wgft');
const AWS = 'AKIAQYLPMN5HHHFPZAM2';

async function filter(input: string, options: Parameters<typeof runRedact>[0]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await runRedact(options, { stdin: Readable.from([Buffer.from(input)]), stdout, stderr });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('mcp-egress redact', () => {
  it('filters stdin to stdout with the bundled catalogue and exits 0', async () => {
    const result = await filter(`deploy with ${PAT}\nkey ${AWS} ok\n`, {});
    expect(result).toEqual({ code: 0, stdout: 'deploy with [REDACTED:github_classic_pat]\nkey [REDACTED:aws_access_key_id] ok\n', stderr: '' });
  });

  it('--stats prints counts by kind on stderr', async () => {
    const result = await filter(`${PAT} ${PAT} ${AWS}\n`, { stats: true });
    expect(result.stderr).toBe('redacted 3 secrets\n  github_classic_pat 2\n  aws_access_key_id 1\n');
  });

  it('--jsonl also catches JSON-escaped secrets', async () => {
    const escaped = PAT.replace('_', '\\u005f');
    const plain = await filter(`{"t":"${escaped}"}\n`, {});
    const jsonl = await filter(`{"t":"${escaped}"}\n`, { jsonl: true });
    expect(plain.stdout).toBe(`{"t":"${escaped}"}\n`);
    expect(jsonl.stdout).toBe('{"t":"[REDACTED:github_classic_pat]"}\n');
  });

  it('--patterns DIR uses another catalogue; a bad one is refused with every problem, exit 1', async () => {
    const good = patternsDir({ 'acme.yaml': familyYaml('acme', [{ id: 'acme-key', regex: '\\bacme_[a-z0-9]{8}\\b', keywords: ['acme_'] }]) });
    expect((await filter(`x acme_1a2b3c4d ${PAT}\n`, { patterns: good })).stdout).toBe(`x [REDACTED:acme_key] ${PAT}\n`);
    const bad = patternsDir({
      'acme.yaml': familyYaml('acme', [
        { id: 'acme-key', regex: 'acme', keywords: ['ac'] },
        { id: 'acme-other', regex: '(?=x)', keywords: ['acme'] },
      ]),
    });
    const refused = await filter('text\n', { patterns: bad });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('acme.yaml: rules[0].keywords[0]');
    expect(refused.stderr).toContain('acme.yaml: rules[1].regex');
  });

  it('statsText reads "redacted 0 secrets" when nothing was found', () => {
    expect(statsText(new Map())).toBe('redacted 0 secrets\n');
  });

  it('runs as the real binary in a shell pipeline, exit 0 even when the reader stops early', async () => {
    assertBuilt();
    const input = join(patternsDir({}), 'big.log');
    writeFileSync(input, `${'log line with nothing secret in it\n'.repeat(50_000)}token ${PAT}\n`);
    const script = `node "${BIN}" redact --stats < "${input}" | head -c 64; echo; echo "status=\${PIPESTATUS[0]}"`;
    const result = await run('bash', ['-c', script], cleanEnv());
    expect(result.stdout).toContain('log line with nothing secret');
    expect(result.stdout).toMatch(/status=0$/m);
    const whole = await run('bash', ['-c', `node "${BIN}" redact --stats`], cleanEnv(), `a ${PAT} b\n`);
    expect(whole).toEqual({ code: 0, stdout: 'a [REDACTED:github_classic_pat] b\n', stderr: 'redacted 1 secret\n  github_classic_pat 1\n' });
  });
});
