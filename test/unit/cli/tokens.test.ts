/**
 * `mcp-egress tokens`, run as a user runs it (the built CLI in a child process): the table with short
 * fingerprints, `--json` with the full records, an empty inventory, and a corrupt file reported in one
 * line (exit 1) and left where it is.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTokenInventory } from '../../../src/state/token-inventory-store.js';
import type { TokenRecord } from '../../../src/tokens/signals.js';
import { assertBuilt, BIN } from '../../helpers/cli.js';
import { cleanEnv, run } from '../../helpers/clients.js';

const HEX_A = 'a1'.repeat(32);
const HEX_B = 'b2'.repeat(32);
const RECORDS: TokenRecord[] = [
  {
    fingerprint: `hmac-sha256:${HEX_A}`,
    kind: 'github_classic_pat',
    hint: 'ghp_…QddT',
    first_seen: '2026-01-01T00:00:00.000Z',
    last_seen: '2026-01-02T03:04:05.678Z',
    count: 12,
    tools: ['ci-bot', 'reader'],
    principals: ['alice@example.com', 'ci'],
    hosts: ['a.example.test', 'b.example.test', 'c.example.test', 'd.example.test'],
  },
  {
    fingerprint: `hmac-sha256:${HEX_B}`,
    kind: 'generic_bearer',
    hint: null,
    first_seen: '2025-12-01T00:00:00.000Z',
    last_seen: '2025-12-01T00:00:00.000Z',
    count: 1,
    tools: [],
    principals: [],
    hosts: [],
  },
];

let root: string;
beforeAll(() => {
  assertBuilt();
  root = mkdtempSync(join(tmpdir(), 'egress-tokens-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let caseNumber = 0;
/** A directory with a config whose dataDir is ./state, optionally holding an inventory. */
function setup(records: readonly TokenRecord[] | null): { config: string; state: string } {
  caseNumber += 1;
  const dir = join(root, `case-${caseNumber}`);
  const state = join(dir, 'state');
  mkdirSync(state, { recursive: true, mode: 0o700 });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'dataDir: ./state\n');
  if (records !== null) writeTokenInventory(state, records);
  return { config, state };
}

const tokens = (args: readonly string[]) => run(process.execPath, [BIN, 'tokens', ...args], cleanEnv());

describe('mcp-egress tokens', () => {
  it('prints a table, most recent first, with short fingerprints and bounded name cells', async () => {
    const { config } = setup([...RECORDS].reverse());
    const result = await tokens(['-c', config]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.split(/\s{2,}/)).toEqual(['FINGERPRINT', 'KIND', 'HINT', 'COUNT', 'FIRST SEEN', 'LAST SEEN', 'TOOLS', 'PRINCIPALS', 'HOSTS']);
    expect(lines[1]!.split(/\s{2,}/)).toEqual([
      `hmac-sha256:${HEX_A.slice(0, 16)}`,
      'github_classic_pat',
      'ghp_…QddT',
      '12',
      '2026-01-01T00:00:00Z',
      '2026-01-02T03:04:05Z',
      'ci-bot,reader',
      'alice@example.com,ci',
      'a.example.test,b.example.test,c.example.test +1',
    ]);
    expect(lines[2]!.split(/\s{2,}/)).toEqual([`hmac-sha256:${HEX_B.slice(0, 16)}`, 'generic_bearer', '-', '1', '2025-12-01T00:00:00Z', '2025-12-01T00:00:00Z', '-', '-', '-']);
    expect(result.stdout).not.toContain(HEX_A.slice(0, 17));
  });

  it('--json prints the full records as a JSON array', async () => {
    const { config } = setup(RECORDS);
    const result = await tokens(['-c', config, '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(RECORDS);
  });

  it.each([
    { name: 'no file yet', args: [] as string[], expected: /^no tokens recorded yet in .*tokens\.json\n$/ },
    { name: 'no file yet, --json', args: ['--json'], expected: /^\[\]\n$/ },
  ])('$name: exit 0', async ({ args, expected }) => {
    const { config } = setup(null);
    const result = await tokens(['-c', config, ...args]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(expected);
  });

  it('a corrupt file: exit 1, one line on stderr, the file left in place', async () => {
    const { config, state } = setup(null);
    writeFileSync(join(state, 'tokens.json'), '{"schema":"mcp-egress.tokens/1","tokens":[{"secret":"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"}]}');
    const result = await tokens(['-c', config]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^mcp-egress tokens: .*tokens\.json: is not a mcp-egress\.tokens\/1 file/);
    expect(result.stderr).not.toContain('ghp_');
    expect(readdirSync(state)).toEqual(['tokens.json']);
  });

  it('a config that does not load: exit 1', async () => {
    const result = await tokens(['-c', join(root, 'no-such-config.yaml')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no-such-config.yaml');
  });
});
