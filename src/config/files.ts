/**
 * Reading the small local files the config points at (secret files, CA bundles), with problems returned as
 * sentences instead of thrown. Opens once and checks the open descriptor, so the file that was checked
 * (type, size, permissions) is the file that is read.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

export type FileRead =
  | { readonly ok: true; readonly text: string; readonly stats: Stats }
  | { readonly ok: false; readonly problem: string };

/** `what` names the file in problems, e.g. "secret file"; `maxBytes` guards against pointing at a wrong, huge file. */
export function readSmallRegularFile(file: string, what: string, maxBytes: number): FileRead {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO by mistake must not hang startup waiting for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, problem: `${what} ${file} ${fsProblem(error)}` };
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) return { ok: false, problem: `${what} ${file} is not a regular file` };
    if (stats.size > maxBytes) return { ok: false, problem: `${what} ${file} is larger than ${maxBytes} bytes` };
    return { ok: true, text: readFileSync(fd, 'utf8'), stats };
  } catch (error) {
    return { ok: false, problem: `${what} ${file} ${fsProblem(error)}` };
  } finally {
    closeSync(fd);
  }
}

/** Only the error code: a code cannot carry file content, whatever the platform's messages say. */
function fsProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES') return 'cannot be read (permission denied)';
  return `cannot be read (${code ?? 'unknown error'})`;
}
