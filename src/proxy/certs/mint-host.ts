/**
 * The only hosts a leaf is minted for: names and IP literals already in the canonical form produced by
 * `normalizeHost`. Requiring the input to equal its normal form (instead of normalizing it here) means
 * the caller has normalized before the policy decision, so the certificate names exactly the host the
 * policy allowed, and anything odd (`../x`, `a/b`, NUL, upper case, brackets) is refused outright.
 */
import { normalizeHost } from '../../policy/host.js';

export interface MintHost {
  readonly name: string;
  readonly ipVersion: 4 | 6 | 0;
}

/** Refusal of a host; the message quotes the host escaped and shortened, so it is safe in one log line. */
export class InvalidMintHostError extends Error {
  constructor(host: string, problem: string) {
    super(`refusing to mint a certificate for host ${JSON.stringify(host.slice(0, 100))}: ${problem}`);
    this.name = 'InvalidMintHostError';
  }
}

export function parseMintHost(host: string): MintHost {
  const normalized = normalizeHost(host);
  if (!normalized.ok) throw new InvalidMintHostError(host, normalized.problem);
  if (normalized.host !== host) {
    throw new InvalidMintHostError(host, `not in normalized form (expected ${JSON.stringify(normalized.host)})`);
  }
  return { name: normalized.host, ipVersion: normalized.isIp };
}
