/**
 * Launch attestation: how the tool's MCP server was started, as `mcp-egress wrap` saw it — in a CI job
 * (which one) or not (interactive: a person's MCP host), and the OS user. wrap's preload sends it on
 * every request to the proxy as `Proxy-Mcp-Egress-Launch` (a Proxy-* header: never forwarded upstream).
 *
 * It is evidence, not proof: whoever holds the tool's proxy credential can send any value. So it is
 * recorded beside the configured actor, never used for a decision, and parsed strictly — a short,
 * printable-ASCII `key=value;…` list with known keys only — so that it cannot put control characters,
 * lookalike text or bulk into the audit log. Anything else is ignored as absent.
 *
 *   context=interactive;user=alice
 *   context=ci;ci=github_actions;user=runner
 */

export const LAUNCH_HEADER = 'proxy-mcp-egress-launch';

export interface LaunchAttestation {
  readonly context: 'interactive' | 'ci';
  /** OS user name of the launching process, as it reported it. */
  readonly user: string | null;
  /** CI system (`github_actions`, `gitlab_ci`, …) when context is `ci`. */
  readonly ci: string | null;
}

const MAX_HEADER = 256;
const MAX_USER = 64;
const CI_NAME = /^[a-z][a-z0-9_]{0,31}$/;
const KEYS = new Set(['context', 'ci', 'user']);

/** The header value for an attestation; a user name that would not parse back is left out. */
export function formatLaunchAttestation(launch: LaunchAttestation): string {
  const parts = [`context=${launch.context}`];
  if (launch.ci !== null && CI_NAME.test(launch.ci)) parts.push(`ci=${launch.ci}`);
  if (launch.user !== null && validUser(launch.user)) parts.push(`user=${encodeURIComponent(launch.user)}`);
  return parts.join(';');
}

/** The attestation in a header value, or null when there is none or it is not exactly well-formed. */
export function parseLaunchAttestation(value: string | readonly string[] | undefined): LaunchAttestation | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_HEADER || !printableAscii(value)) return null;
  const fields = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq <= 0 || !KEYS.has(key) || fields.has(key)) return null;
    fields.set(key, part.slice(eq + 1));
  }
  const context = fields.get('context');
  if (context !== 'interactive' && context !== 'ci') return null;
  const ci = fields.get('ci') ?? null;
  // A CI name belongs to a CI launch, and a CI launch names its CI.
  if ((context === 'ci') !== (ci !== null) || (ci !== null && !CI_NAME.test(ci))) return null;
  const user = decodeUser(fields.get('user'));
  if (user === undefined) return null;
  return Object.freeze({ context, user, ci });
}

/** Absent: null; present but malformed: undefined (the whole value is rejected). */
function decodeUser(encoded: string | undefined): string | null | undefined {
  if (encoded === undefined) return null;
  let user: string;
  try {
    user = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  return validUser(user) ? user : undefined;
}

/** 1–64 characters, no control, format (bidi overrides, zero-width) or line/paragraph separators, no outer spaces. */
function validUser(user: string): boolean {
  if (user.length === 0 || user.length > MAX_USER || user.trim() !== user) return false;
  return !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(user);
}

function printableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
