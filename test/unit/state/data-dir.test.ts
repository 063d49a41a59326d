/**
 * The data dir and the HMAC key: owner-only, created once and atomically, never overwritten, and a key
 * file of the wrong shape or with loose permissions refused with a message that never shows the key.
 */
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HMAC_KEY_BYTES, ensureDataDir, loadOrCreateHmacKey } from '../../../src/state/data-dir.js';
import { KeyFileError } from '../../../src/state/private-file.js';

let root: string;
let dir: string;
let caseNumber = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mcp-egress-state-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));
beforeEach(() => {
  caseNumber += 1;
  dir = join(root, `data-${caseNumber}`);
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Every textual form a leaked key could take in a message. */
function keyRenderings(key: Buffer): string[] {
  return [key.toString('hex'), key.toString('base64'), key.toString('base64url'), key.toString('latin1')];
}

describe('ensureDataDir', () => {
  it('creates missing parents with mode 0700', async () => {
    await ensureDataDir(join(dir, 'a', 'b'));
    expect(await modeOf(join(dir, 'a', 'b'))).toBe(0o700);
    expect(await modeOf(join(dir, 'a'))).toBe(0o700);
  });

  it('tightens an existing directory that group or others could enter', async () => {
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await ensureDataDir(dir);
    expect(await modeOf(dir)).toBe(0o700);
  });

  it('refuses a path that is a file', async () => {
    await writeFile(dir, 'not a dir');
    await expect(ensureDataDir(dir)).rejects.toThrow();
  });
});

describe('loadOrCreateHmacKey', () => {
  it('creates 32 random bytes in hmac.key with mode 0600 and leaves no temporary file', async () => {
    const key = await loadOrCreateHmacKey(dir);
    expect(key).toHaveLength(HMAC_KEY_BYTES);
    expect(await readFile(join(dir, 'hmac.key'))).toEqual(key);
    expect(await modeOf(join(dir, 'hmac.key'))).toBe(0o600);
    expect(await modeOf(dir)).toBe(0o700);
    expect(await readdir(dir)).toEqual(['hmac.key']);
  });

  it('returns the same key on later starts and never rewrites the file', async () => {
    const first = await loadOrCreateHmacKey(dir);
    const before = await stat(join(dir, 'hmac.key'));
    const second = await loadOrCreateHmacKey(dir);
    expect(second).toEqual(first);
    expect((await stat(join(dir, 'hmac.key'))).mtimeMs).toBe(before.mtimeMs);
  });

  it('gives every one of many concurrent starters the same key (one creator wins)', async () => {
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateHmacKey(dir)));
    for (const key of keys) expect(key).toEqual(keys[0]);
    expect(await readFile(join(dir, 'hmac.key'))).toEqual(keys[0]);
    expect(await readdir(dir)).toEqual(['hmac.key']);
  });

  it('uses an existing operator-provided key unchanged', async () => {
    await mkdir(dir, { mode: 0o700 });
    const provided = Buffer.alloc(HMAC_KEY_BYTES, 7);
    await writeFile(join(dir, 'hmac.key'), provided, { mode: 0o600 });
    expect(await loadOrCreateHmacKey(dir)).toEqual(provided);
  });

  const refusals = [
    { name: 'a group/world readable key (0644)', bytes: HMAC_KEY_BYTES, mode: 0o644, message: /is accessible by group or others \(mode 0644\)/, problem: 'group_or_world_access' },
    { name: 'a group readable key (0640)', bytes: HMAC_KEY_BYTES, mode: 0o640, message: /mode 0640/, problem: 'group_or_world_access' },
    { name: 'a key that is too short', bytes: 31, mode: 0o600, message: /holds 31 bytes, expected 32/, problem: 'wrong_size' },
    { name: 'a key that is too long', bytes: 64, mode: 0o600, message: /holds 64 bytes, expected 32/, problem: 'wrong_size' },
  ];

  it.each(refusals)('refuses $name without revealing it, and leaves it in place', async ({ bytes, mode, message, problem }) => {
    await mkdir(dir, { mode: 0o700 });
    const path = join(dir, 'hmac.key');
    const key = Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 37 + 11) % 256));
    await writeFile(path, key);
    await chmod(path, mode);
    const error = await loadOrCreateHmacKey(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyFileError);
    expect(error).toMatchObject({ problem, path });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.startsWith(path)).toBe(true);
    for (const rendering of keyRenderings(key)) expect((error as Error).message).not.toContain(rendering);
    expect(await readFile(path)).toEqual(key);
  });

  it('refuses a hmac.key that is not a regular file', async () => {
    await mkdir(join(dir, 'hmac.key'), { recursive: true, mode: 0o700 });
    await expect(loadOrCreateHmacKey(dir)).rejects.toMatchObject({ problem: 'not_regular_file' });
  });
});
