/**
 * Building blocks every part of the config schema uses (schema.ts, audit-schema.ts).
 */
import { z } from 'zod';

/** A strict object whose unknown-key error lists the keys it does accept. */
export function strictObject<S extends z.core.$ZodShape>(shape: S) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key; expected one of: ${expected}` : undefined),
  });
}

/** An environment variable name (where a secret is read from). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
