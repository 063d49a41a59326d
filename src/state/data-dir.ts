/**
 * The data directory holds the proxy's own key material (HMAC key for token fingerprints, local CA).
 * Only fixed file names are used inside it: nothing that arrives over the network ever becomes a path.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyFileError, createFileExclusive, readOwnerOnlyFile } from './private-file.js';

export const HMAC_KEY_FILE = 'hmac.key';
export const HMAC_KEY_BYTES = 32;
const OWNER_ONLY_DIR = 0o700;
const OWNER_ONLY_FILE = 0o600;

/** Creates the directory (and parents) owner-only; tightens an existing one that others can enter. */
export async function ensureDataDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const stats = await stat(dir);
  if (!stats.isDirectory()) throw new Error(`data dir ${dir} exists and is not a directory`);
  if ((stats.mode & 0o077) === 0) return;
  try {
    await chmod(dir, OWNER_ONLY_DIR);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`data dir ${dir} is accessible by group or others and could not be made private: ${reason}`);
  }
}

/**
 * The HMAC key for keyed token fingerprints: 32 random bytes, created on first start and reused after,
 * so fingerprints stay comparable across restarts. A key file we did not create with the right shape is
 * refused rather than repaired: silently replacing it would break every stored fingerprint.
 */
export async function loadOrCreateHmacKey(dir: string): Promise<Buffer> {
  await ensureDataDir(dir);
  const path = join(dir, HMAC_KEY_FILE);
  const existing = await readOwnerOnlyFile(path);
  if (existing !== null) return checkedKey(existing, path);
  const created = randomBytes(HMAC_KEY_BYTES);
  const outcome = await createFileExclusive(path, created, OWNER_ONLY_FILE);
  if (outcome === 'created') return created;
  // Another process created the key between our read and our create: theirs wins, use it.
  const winner = await readOwnerOnlyFile(path);
  if (winner === null) throw new Error(`${path} vanished while it was being created`);
  return checkedKey(winner, path);
}

function checkedKey(key: Buffer, path: string): Buffer {
  if (key.length === HMAC_KEY_BYTES) return key;
  throw new KeyFileError(
    'wrong_size',
    path,
    `holds ${key.length} bytes, expected ${HMAC_KEY_BYTES}; remove it to generate a new key (stored fingerprints will no longer match)`,
  );
}
