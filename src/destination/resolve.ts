/**
 * Destination resolution: where an allowed request's TCP connection goes, decided once.
 *
 * The guard resolves the host ONCE, classifies every answer, and returns exactly one address to dial.
 * CONTRACT FOR CALLERS: connect to `address`:`port` of an ok Resolution and never hand the host name to a
 * socket or HTTP client again. A second resolution may answer differently (DNS rebinding: a public answer
 * for the check, 169.254.169.254 for the connect), so any re-resolution reopens the hole this closes. The
 * original host name still goes into SNI, certificate verification and the Host header; those say who the
 * peer must prove to be, not where the packets go.
 *
 * Order of decisions:
 *   1. upstream.resolve names the target -> dial the mapped address; no DNS, never refused by class
 *      (the operator named it explicitly, like curl --resolve).
 *   2. IP literal -> classified as is, no DNS.
 *   3. otherwise DNS; every answer must be dialable, else the whole answer is refused.
 */
import { isIP } from 'node:net';
import type { HostPort } from '../config/types.js';
import { authorityKey, normalizeHost } from '../policy/host.js';
import {
  blockingClass,
  classifyAddress,
  explainClassification,
  type AddressClass,
  type RefusableClass,
} from './classify.js';

/** Reason codes are a public contract (audit, error bodies, metrics labels): never rename or reuse one. */
export const DESTINATION_REASONS = [
  'ssrf_loopback',
  'ssrf_private',
  'ssrf_link_local',
  'ssrf_cgnat',
  'ssrf_unique_local',
  'ssrf_unspecified',
  'ssrf_multicast',
  'ssrf_broadcast',
  'ssrf_reserved',
  'ssrf_invalid',
  'dns_failed',
  'dns_no_address',
  'invalid_target',
] as const;

export type DestinationReason = (typeof DESTINATION_REASONS)[number];

export interface LookupAnswer {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all its addresses in the resolver's order. Injected; see systemLookup. */
export type Lookup = (host: string) => Promise<readonly LookupAnswer[]>;

export interface ResolveOptions {
  /** `authorityKey(host, port)` -> dial target; the target must be an IP address. */
  readonly resolveMap: ReadonlyMap<string, HostPort>;
  /** Normalized hosts, exact or `*.suffix` (subdomains only), whose non-public addresses may be dialled. */
  readonly allowPrivate: readonly string[];
  readonly lookup: Lookup;
}

export type ResolutionVia = 'resolve_map' | 'literal' | 'dns';

export type Resolution =
  | {
      readonly ok: true;
      readonly address: string;
      readonly family: 4 | 6;
      readonly port: number;
      readonly via: ResolutionVia;
      /** For the audit record; a resolve_map target is classified but never refused for its class. */
      readonly class: AddressClass;
    }
  | { readonly ok: false; readonly reason: DestinationReason; readonly detail: string };

type Refusal = Extract<Resolution, { ok: false }>;

/** Decide the one address to dial for `target`, or refuse with a reason code. Never throws. */
export async function resolveDestination(
  target: { readonly host: string; readonly port: number },
  opts: ResolveOptions,
): Promise<Resolution> {
  const normalized = normalizeHost(target.host);
  if (!normalized.ok) return refuse('invalid_target', `host: ${normalized.problem}`);
  if (!isValidPort(target.port)) return refuse('invalid_target', `port ${String(target.port)} is not in 1-65535`);
  const { host, isIp } = normalized;

  const key = authorityKey(host, target.port);
  const mapped = opts.resolveMap.get(key);
  if (mapped !== undefined) return fromResolveMap(key, mapped);

  const privateAllowed = isPrivateAllowed(host, isIp !== 0, opts.allowPrivate);
  if (isIp !== 0) return judge(host, [host], target.port, privateAllowed, 'literal');
  return resolveByDns(host, target.port, privateAllowed, opts.lookup);
}

function fromResolveMap(key: string, mapped: HostPort): Resolution {
  const normalized = normalizeHost(mapped.host);
  // The map promises "no DNS"; a name here would need one, so it is a configuration error, not a lookup.
  if (!normalized.ok || normalized.isIp === 0) {
    return refuse('invalid_target', `upstream.resolve entry for ${key} is not an IP address`);
  }
  if (!isValidPort(mapped.port)) return refuse('invalid_target', `upstream.resolve entry for ${key} has an invalid port`);
  const { host: address, isIp: family } = normalized;
  return { ok: true, address, family, port: mapped.port, via: 'resolve_map', class: classifyAddress(address).class };
}

async function resolveByDns(host: string, port: number, privateAllowed: boolean, lookup: Lookup): Promise<Resolution> {
  let answers: readonly LookupAnswer[];
  try {
    answers = await lookup(host);
  } catch (error: unknown) {
    return refuse('dns_failed', `${host}: ${describeLookupError(error)}`);
  }
  if (answers.length === 0) return refuse('dns_no_address', `${host}: the resolver returned no address`);
  return judge(host, answers.map(({ address }) => address), port, privateAllowed, 'dns');
}

/**
 * Every candidate must be dialable, not just the first: an answer mixing public and internal addresses is
 * the shape of a rebinding attack (or of a split-horizon leak), and a client library that retries the next
 * address would reach the internal one. So one bad address refuses the lot, naming the first bad one.
 */
function judge(host: string, candidates: readonly string[], port: number, privateAllowed: boolean, via: ResolutionVia): Resolution {
  const classified = candidates.map((address) => ({ address, classification: classifyAddress(address) }));
  for (const { address, classification } of classified) {
    const blocker = blockingClass(classification.class, privateAllowed);
    if (blocker === null) continue;
    const explained = explainClassification(address, classification);
    const subject = via === 'dns' ? `${host} resolved to ${explained}` : explained;
    const among = candidates.length > 1 ? ` (one of ${String(candidates.length)} answers)` : '';
    return refuse(ssrfReason(blocker), `${subject}${among}`);
  }
  const [chosen] = classified;
  if (chosen === undefined) return refuse('dns_no_address', `${host}: no address`);
  const family = isIP(chosen.address) === 6 ? 6 : 4;
  return { ok: true, address: chosen.address, family, port, via, class: chosen.classification.class };
}

function ssrfReason(cls: RefusableClass): DestinationReason {
  // The template type is checked against DESTINATION_REASONS: a new class without a reason fails to compile.
  return `ssrf_${cls}`;
}

/** Exact host, or `*.suffix` matching names strictly below the suffix. Wildcards never match IP literals. */
function isPrivateAllowed(host: string, isIpLiteral: boolean, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    if (pattern === host) return true;
    return !isIpLiteral && pattern.startsWith('*.') && host.endsWith(pattern.slice(1));
  });
}

function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65_535;
}

function describeLookupError(error: unknown): string {
  // Resolver errors carry a code such as ENOTFOUND or EAI_AGAIN; the code is what operators act on.
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return typeof code === 'string' ? code : error.message;
  }
  return 'lookup failed';
}

function refuse(reason: DestinationReason, detail: string): Refusal {
  return { ok: false, reason, detail };
}
