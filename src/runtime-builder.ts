/**
 * Builds one immutable Runtime snapshot from a validated config. Used at start and for every reload:
 * a reload that fails to build leaves the running snapshot untouched (all-or-nothing).
 */
import type { EgressConfig } from './config/types.js';
import { resolveDestination, type Lookup } from './destination/resolve.js';
import { createCredentialVerifier } from './identity/proxy-credentials.js';
import type { Forwarder, Runtime } from './pipeline/runtime.js';
import { compilePolicy } from './policy/compile.js';
import type { Fingerprinter } from './tokens/fingerprint.js';
import type { Scanner, SecretFingerprinter } from './scanning/index.js';

export interface RuntimeServices {
  readonly fingerprint: Fingerprinter;
  readonly scanner: Scanner;
  readonly secretFingerprint: SecretFingerprinter;
  readonly forwarder: Forwarder;
  readonly auditHealthy: () => boolean;
  readonly lookup: Lookup;
}

export function buildRuntime(config: EgressConfig, services: RuntimeServices): Runtime {
  const policy = compilePolicy(config.tools.values(), config.mode);
  const secrets = new Map([...config.tools.values()].map((tool) => [tool.name, tool.secret]));
  const resolveOptions = {
    resolveMap: config.upstream.resolve,
    allowPrivate: config.upstream.allowPrivate,
    lookup: services.lookup,
  };
  return Object.freeze({
    config,
    policy,
    verifier: createCredentialVerifier(secrets),
    fingerprint: services.fingerprint,
    scanner: services.scanner,
    secretFingerprint: services.secretFingerprint,
    resolveDestination: (host: string, port: number) => resolveDestination({ host, port }, resolveOptions),
    auditHealthy: services.auditHealthy,
    forwarder: services.forwarder,
  });
}

/** Settings that only a restart can change: a reload that touches them is refused whole. */
export function restartOnlyChanges(running: EgressConfig, next: EgressConfig): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same(running.listen, next.listen)) changed.push('listen');
  if (!same(running.admin, next.admin)) changed.push('admin');
  if (running.dataDir !== next.dataDir) changed.push('dataDir');
  if (!same(running.audit.sinks, next.audit.sinks)) changed.push('audit.sinks');
  if (!same(running.upstream.ca, next.upstream.ca)) changed.push('upstream.ca');
  if (running.tokens.dormantAfterMs !== next.tokens.dormantAfterMs) changed.push('tokens.dormantAfterDays');
  return changed;
}
