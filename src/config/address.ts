/**
 * `host:port` texts found in the config: the proxy and admin listen addresses, and both sides of
 * `upstream.resolve`. Pure functions returning a value or a problem sentence, so the schema can attach the
 * problem to the right key path.
 */
import { isIP } from 'node:net';
import { authorityKey, normalizeHost } from '../policy/host.js';
import type { HostPort } from './types.js';
import { DEFAULTS } from './default.js';

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

interface SplitAuthority {
  readonly host: string;
  readonly bracketed: boolean;
  readonly port: number;
}

const PORT_TEXT = /^[0-9]{1,5}$/;
const IPV6_HINT = 'an IPv6 address goes in brackets, e.g. "[::1]:8080" (quoted in YAML)';

/**
 * Proxy or admin listen address: `host:port`, `[v6]:port`, or a bare port that binds the loopback
 * address. Port 0 asks the OS for a free port (tests and ephemeral runs).
 */
export function parseListenAddress(raw: string | number): Parsed<HostPort> {
  const text = String(raw).trim();
  if (typeof raw === 'number' || PORT_TEXT.test(text)) {
    const port = Number(text);
    const valid = Number.isInteger(port) && port >= 0 && port <= 65_535;
    return valid ? ok({ host: DEFAULTS.bareListenHost, port }) : fail(`port must be an integer from 0 to 65535, got ${text}`);
  }
  const split = splitAuthority(text, 0);
  if (!split.ok) return split;
  return ipHostPort(split.value, 'the listen host must be an IP address such as 127.0.0.1, 0.0.0.0 or [::1]');
}

/** Dial target on the right of `upstream.resolve`: an IP literal and a port, as in curl --resolve. */
export function parseDialTarget(raw: string): Parsed<HostPort> {
  const split = splitAuthority(raw.trim(), 1);
  if (!split.ok) return split;
  return ipHostPort(split.value, 'the target must be an IP address such as 127.0.0.1 or [::1] (names are not resolved here)');
}

/** Key on the left of `upstream.resolve`: any host and a port, returned as the canonical authority key. */
export function parseAuthorityKey(raw: string): Parsed<string> {
  const split = splitAuthority(raw.trim(), 1);
  if (!split.ok) return split;
  const normalized = normalizeHost(split.value.host);
  if (!normalized.ok) return fail(`host "${split.value.host}": ${normalized.problem}`);
  return ok(authorityKey(normalized.host, split.value.port));
}

function ipHostPort(split: SplitAuthority, notIpProblem: string): Parsed<HostPort> {
  const family = isIP(split.host);
  if (family === 0 || split.host.includes('%')) return fail(notIpProblem);
  if (family === 6 && !split.bracketed) return fail(IPV6_HINT);
  if (family === 4 && split.bracketed) return fail('only IPv6 addresses go in brackets');
  const normalized = normalizeHost(split.host);
  if (!normalized.ok) return fail(notIpProblem);
  return ok({ host: normalized.host, port: split.port });
}

function splitAuthority(text: string, minPort: number): Parsed<SplitAuthority> {
  let host: string;
  let portText: string;
  let bracketed = false;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return fail(`expected "[address]:port", got "${text}"`);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    bracketed = true;
  } else {
    const colons = text.split(':').length - 1;
    if (colons === 0) return fail(`expected "host:port", got "${text}" (no port)`);
    if (colons > 1) return fail(IPV6_HINT);
    [host = '', portText = ''] = text.split(':');
  }
  if (host === '') return fail(`expected "host:port", got "${text}" (no host)`);
  const port = Number(portText);
  if (!PORT_TEXT.test(portText) || port < minPort || port > 65_535) {
    return fail(`port must be a number from ${minPort} to 65535, got "${portText}"`);
  }
  return ok({ host, bracketed, port });
}

function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

function fail(problem: string): { readonly ok: false; readonly problem: string } {
  return { ok: false, problem };
}
