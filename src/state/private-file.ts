/**
 * Files that hold key material: created once, atomically, owner-only; read back only when the file
 * mode still says owner-only. Error messages name the path and the problem, never the contents.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Any permission bit for group or others: such a file may already have been read by someone else. */
const GROUP_OR_OTHER_BITS = 0o077;

export type KeyFileProblem = 'not_regular_file' | 'group_or_world_access' | 'wrong_size' | 'unreadable_key';

/** Raised for key files we refuse to use; the message is safe to log (it never contains key bytes). */
export class KeyFileError extends Error {
  readonly problem: KeyFileProblem;
  readonly path: string;

  constructor(problem: KeyFileProblem, path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'KeyFileError';
    this.problem = problem;
    this.path = path;
  }
}

/**
 * Reads a file that must be accessible to its owner only. Returns null when it does not exist.
 * The mode is checked on the opened descriptor (fstat), so the file checked is the file read.
 */
export async function readOwnerOnlyFile(path: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return null;
    throw error;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KeyFileError('not_regular_file', path, 'is not a regular file');
    const loose = stats.mode & GROUP_OR_OTHER_BITS;
    if (loose !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new KeyFileError(
        'group_or_world_access',
        path,
        `is accessible by group or others (mode ${mode}); run "chmod 600 ${path}" or remove it to generate a new one`,
      );
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `path` with `data` unless it already exists; never overwrites. The content is written to a
 * temporary file opened with O_EXCL and then hard-linked into place: link(2), unlike rename(2), fails
 * when the target exists, so two processes starting at once cannot replace each other's key, and a
 * crash leaves either no file or the complete file, never a partial one.
 */
export async function createFileExclusive(path: string, data: Buffer | string, mode: number): Promise<'created' | 'exists'> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path);
  } catch (error) {
    if (isErrnoCode(error, 'EEXIST')) return 'exists';
    throw error;
  } finally {
    await unlink(temporary);
  }
  await syncDirectory(directory);
  return 'created';
}

/** Makes the new directory entry durable, so a power loss cannot bring back a start without the key. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
