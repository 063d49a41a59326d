/**
 * The production Lookup: the operating system's resolver (getaddrinfo), so /etc/hosts and nsswitch apply
 * exactly as they would for any other program on the host.
 */
import { lookup } from 'node:dns/promises';
import type { Lookup } from './resolve.js';

/**
 * All addresses, in the order the resolver gave them. `verbatim` keeps that order (the system's address
 * selection policy) instead of Node moving IPv4 first, so "the first acceptable address" is the one any
 * other client on this host would have tried first.
 */
export const systemLookup: Lookup = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};
