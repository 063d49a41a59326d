/**
 * Hop-by-hop hygiene (RFC 9110 §7.6.1): headers that describe one connection are never forwarded —
 * Connection and every header it names, Keep-Alive, TE, Trailer, Transfer-Encoding (Node re-frames the
 * body), Upgrade (except on a WebSocket upgrade, handled separately), and every Proxy-* header, so the
 * tool's proxy credential never reaches the upstream.
 */
const ALWAYS_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

function isProxyHeader(lower: string): boolean {
  return lower.startsWith('proxy-');
}

/** Names listed in Connection headers (a request may carry several Connection lines). */
function connectionListed(rawHeaders: readonly string[]): Set<string> {
  const listed = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
    for (const token of rawHeaders[i + 1]!.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) listed.add(name);
    }
  }
  return listed;
}

/**
 * Filters a raw header list ([name, value, name, value, …], order and case preserved) down to the
 * end-to-end headers. `host` is dropped too: the forwarder sets it from the CONNECT authority.
 */
export function endToEndHeaders(rawHeaders: readonly string[]): string[] {
  const listed = connectionListed(rawHeaders);
  const kept: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (ALWAYS_HOP_BY_HOP.has(lower) || isProxyHeader(lower) || listed.has(lower)) continue;
    kept.push(name, rawHeaders[i + 1]!);
  }
  return kept;
}
