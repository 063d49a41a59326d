/**
 * Replaces a small file atomically: the content goes to a temporary file beside it, which is renamed
 * over the target, so a reader sees the old or the new content, never a mix. No fsync: after a power
 * loss the file may hold an older version (callers that use this accept a stale value, not a torn one).
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function replaceFileAtomicSync(path: string, data: string, mode: number): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, data, { mode, flag: 'wx' });
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
