/**
 * Named validators a rule can require after its regex matched: structural facts of a format that a
 * regular expression cannot express (a checksum, a decodable header). They see only the secret bytes and
 * answer yes or no; nothing here logs or keeps the value.
 */
import { crc32 } from 'node:zlib';
import type { ValidatorName } from './catalogue-schema.js';
import { isAlphanumeric, isBase64UrlChar, isLower, isUpper, nonEmptyOf } from './ascii.js';

export type SecretValidator = (secret: Buffer) => boolean;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUM_LENGTH = 6;

/** CRC32 as GitHub writes it in its tokens: base62, most significant digit first, left-padded with `0` to 6. */
export function base62Crc32(payload: string): string {
  let value = crc32(payload);
  let digits = '';
  do {
    digits = BASE62[value % 62]! + digits;
    value = Math.floor(value / 62);
  } while (value > 0);
  return digits.padStart(CHECKSUM_LENGTH, '0');
}

/**
 * GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 base62): the last 6 characters are the base62
 * CRC32 of the random characters before them (after the last `_`). A random look-alike passes with
 * probability 62^-6, so a failing checksum means "not issued by GitHub" (a test value, a truncation).
 */
export const githubCrc32: SecretValidator = (secret) => {
  const token = secret.toString('latin1');
  const body = token.slice(token.lastIndexOf('_') + 1);
  if (body.length <= CHECKSUM_LENGTH || !nonEmptyOf(body, isAlphanumeric)) return false;
  return base62Crc32(body.slice(0, -CHECKSUM_LENGTH)) === body.slice(-CHECKSUM_LENGTH);
};

/** A JWT: three base64url parts (an `alg: none` token has an empty third), the first a JSON header with `alg`. */
export const jwtShape: SecretValidator = (secret) => {
  const parts = withoutIssuerPrefix(secret.toString('latin1')).split('.');
  if (parts.length !== 3) return false;
  const [header, payload, signature] = parts as [string, string, string];
  if (!isBase64UrlPart(header) || !isBase64UrlPart(payload)) return false;
  if (signature !== '' && !isBase64UrlPart(signature)) return false;
  return headerHasAlg(Buffer.from(header, 'base64url').toString('utf8'));
};

// Some issuers wrap a JWT in a short letters-and-underscore prefix (`ghs_eyJ…`); the JWT starts after it.
function withoutIssuerPrefix(token: string): string {
  const underscore = token.indexOf('_');
  if (underscore < 2 || underscore > 12 || !token.startsWith('eyJ', underscore + 1)) return token;
  const prefix = token.slice(0, underscore);
  return nonEmptyOf(prefix, (code) => isLower(code) || isUpper(code)) ? token.slice(underscore + 1) : token;
}

function isBase64UrlPart(part: string): boolean {
  const unpadded = part.endsWith('==') ? part.slice(0, -2) : part.endsWith('=') ? part.slice(0, -1) : part;
  return nonEmptyOf(unpadded, isBase64UrlChar);
}

function headerHasAlg(json: string): boolean {
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && typeof (value as { alg?: unknown }).alg === 'string';
  } catch {
    // Not JSON, so not a JWT header: the failed parse is the answer, not an error to report.
    return false;
  }
}

export function validatorNamed(name: ValidatorName | undefined): SecretValidator | undefined {
  switch (name) {
    case 'github_crc32':
      return githubCrc32;
    case 'jwt':
      return jwtShape;
    case 'none':
    case undefined:
      return undefined;
  }
}
