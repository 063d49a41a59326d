/**
 * Exclusive creation and owner-only reading, the two primitives every key file in the data dir uses.
 */
import { chmod, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileExclusive, readOwnerOnlyFile } from '../../../src/state/private-file.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'mcp-egress-private-file-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('createFileExclusive', () => {
  it('lets exactly one of many concurrent writers create the file; the rest see "exists"', async () => {
    const dir = await mkdtemp(join(root, 'race-'));
    const path = join(dir, 'secret');
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => createFileExclusive(path, `writer ${i}`, 0o600)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    const winner = outcomes.indexOf('created');
    expect(await readFile(path, 'utf8')).toBe(`writer ${winner}`);
    expect(await readdir(dir)).toEqual(['secret']);
  });

  it('never overwrites an existing file', async () => {
    const path = join(root, 'existing');
    await writeFile(path, 'original', { mode: 0o600 });
    expect(await createFileExclusive(path, 'replacement', 0o600)).toBe('exists');
    expect(await readFile(path, 'utf8')).toBe('original');
  });
});

describe('readOwnerOnlyFile', () => {
  it('returns null for a missing file', async () => {
    expect(await readOwnerOnlyFile(join(root, 'missing'))).toBeNull();
  });

  it('checks the permissions of the file a symlink points to', async () => {
    const target = join(root, 'target');
    await writeFile(target, 'x');
    await chmod(target, 0o604);
    const link = join(root, 'link');
    await symlink(target, link);
    await expect(readOwnerOnlyFile(link)).rejects.toMatchObject({ problem: 'group_or_world_access' });
    await chmod(target, 0o400);
    expect(await readOwnerOnlyFile(link)).toEqual(Buffer.from('x'));
  });
});
