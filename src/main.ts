/**
 * Composition root: the only place where concrete parts are wired together. Everything the rest of the
 * program uses (registry, loggers, clock, DNS lookup, sinks) is created here or handed in.
 */
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createAuditLog } from './audit/audit-log.js';
import { recoverChain, writeChainState } from './audit/chain-state.js';
import { createLineScrubber } from './logging/line-scrubber.js';
import { createScanner, loadCatalogue, type Scanner } from './scanning/index.js';
import { openSink, type SinkLog } from './audit/sinks.js';
import type { EgressConfig } from './config/types.js';
import { systemLookup } from './destination/system-lookup.js';
import type { Lookup } from './destination/resolve.js';
import type { Runtime } from './pipeline/runtime.js';
import { loadCaFromFiles } from './proxy/certs/ca-files.js';
import { loadOrCreateCa } from './proxy/certs/ca.js';
import { createLeafMinter, type LeafMinter } from './proxy/certs/leaf.js';
import type { Clock } from './proxy/context-factory.js';
import { createForwarder } from './proxy/forwarder.js';
import { createProxyServer } from './proxy/server.js';
import { createUpstreamAgents } from './proxy/upstream-agents.js';
import { createUpstreamPools } from './proxy/upstream-pools.js';
import { buildRuntime, restartOnlyChanges } from './runtime-builder.js';
import { ensureDataDir, loadOrCreateHmacKey } from './state/data-dir.js';
import { createInventoryPersister, loadTokenInventory } from './state/token-inventory-store.js';
import { createTokenInventory } from './tokens/inventory.js';
import { createAdminServer } from './telemetry/admin-server.js';
import { createMetrics, policyLabels } from './telemetry/metrics.js';
import { createFingerprinter, createSecretFingerprinter } from './tokens/fingerprint.js';
import { VERSION } from './version.js';

export interface StartDeps {
  readonly logger: Logger;
  readonly registry?: Registry;
  readonly clock?: Clock;
  readonly lookup?: Lookup;
  /** The compiled secret scanner (loaded from `patterns/` when absent; tests share one across proxies). */
  readonly scanner?: Scanner;
  /** An operator-supplied interception CA instead of the one generated in the data dir. */
  readonly caFiles?: { readonly cert: string; readonly key: string };
}

export interface RunningEgress {
  readonly proxy: AddressInfo;
  readonly admin: AddressInfo;
  readonly caCertPath: string;
  readonly minter: LeafMinter;
  /** Writes buffered audit events out (tests read the file; shutdown flushes by itself). */
  flushAudit(): void;
  /** SIGHUP: file sinks reopen their paths (after logrotate renamed them); each new file starts with a header. */
  reopenAudit(): void;
  /** Applies a new config whole, or throws and keeps the running one. */
  reload(next: EgressConfig): void;
  /** A reload refused before it reached reload() (the file did not load): counted like any failed reload. */
  reloadRefused(): void;
  stop(): Promise<void>;
}

const systemClock: Clock = { wall: () => new Date(), mono: () => process.hrtime.bigint() };

export async function startEgress(config: EgressConfig, deps: StartDeps): Promise<RunningEgress> {
  const clock = deps.clock ?? systemClock;
  const registry = deps.registry ?? new Registry();
  await ensureDataDir(config.dataDir);
  const ca = deps.caFiles ? await loadCaFromFiles(deps.caFiles.cert, deps.caFiles.key) : await loadOrCreateCa(config.dataDir);
  for (const warning of ca.strictVerificationWarnings) {
    deps.logger.warn({ warning }, 'interception CA: strict clients (Python 3.13+, OpenSSL X509_STRICT) may reject its leaves');
  }
  const hmacKey = await loadOrCreateHmacKey(config.dataDir);
  const fingerprint = createFingerprinter(hmacKey);
  const metrics = createMetrics({ registry, version: VERSION, ...policyLabels(config) });
  const minter = createLeafMinter({ ca, clock: clock.wall, onMint: (seconds) => metrics.recordCertMint(seconds) });
  const scanner = deps.scanner ?? createScanner(loadCatalogue());
  // Recovered before the sinks open: opening a file ends a partial last line, which the header reports.
  const chainStart = recoverChain(config.dataDir, config.audit.sinks.flatMap((sink) => (sink.type === 'file' && sink.format === 'native' ? [sink.path] : [])));
  const inventory = createTokenInventory({
    dormantAfterMs: config.tokens.dormantAfterMs,
    initial: loadTokenInventory(config.dataDir, { onCorrupt: (message) => deps.logger.warn({ component: 'token-inventory' }, message) }),
  });
  const inventoryPersister = createInventoryPersister({
    dataDir: config.dataDir,
    inventory,
    onError: (error) => deps.logger.error({ component: 'token-inventory', code: (error as NodeJS.ErrnoException).code }, 'cannot save the token inventory'),
  });
  const sinkDeps = { log: sinkLogger(deps.logger) };
  const sinks = config.audit.sinks.map((sink) => openSink(sink, sinkDeps));
  metrics.watchAuditSinks(() => sinks.map((sink) => ({ type: sink.type, status: sink.status() })));
  const audit = createAuditLog(sinks, {
    scrub: createLineScrubber(scanner, (kind) => metrics.recordLogRedaction(kind)),
    onEvent: (event) => {
      metrics.recordEvent(event);
      // After the request line is written, so each alert follows the event that raised it.
      for (const signal of inventory.observe(event, clock.wall())) {
        audit.alert(signal);
        metrics.recordTokenSignal(signal.signal);
      }
    },
    onWrite: (sink, accepted) => metrics.recordAuditWrite(sink.type, accepted),
    onLost: (kind) => {
      metrics.recordAuditLost(kind);
      deps.logger.error({ component: 'audit', kind }, 'audit event lost: no sink accepted it (onAuditFailure: open)');
    },
    chain: { start: chainStart, persist: (position) => writeChainState(config.dataDir, position), now: clock.wall },
  });
  const agents = createUpstreamAgents({ extraCaFiles: config.upstream.ca });
  let runtime: Runtime;
  const pools = createUpstreamPools({ extraCaFiles: config.upstream.ca, connectTimeoutMs: () => runtime.config.upstream.connectTimeoutMs });
  const forwarder = createForwarder({
    agents,
    pools,
    connectTimeoutMs: () => runtime.config.upstream.connectTimeoutMs,
    responseTimeoutMs: () => runtime.config.upstream.responseTimeoutMs,
    now: clock.mono,
  });
  const services = { fingerprint, scanner, secretFingerprint: createSecretFingerprinter(hmacKey), forwarder, auditHealthy: () => audit.healthy(), lookup: deps.lookup ?? systemLookup };
  runtime = buildRuntime(config, services);

  let stopping = false;
  const proxyServer = createProxyServer({
    runtime: () => runtime,
    secureContextFor: (host) => minter.secureContextFor(host),
    observe: (outcome) => audit.observe(outcome),
    clock,
    onTunnelChange: (delta) => metrics.tunnelChanged(delta),
    onConnectionChange: (delta) => metrics.connectionChanged(delta),
  });
  const adminServer = createAdminServer({
    registry,
    ready: () => readiness(stopping, audit.healthy()),
  });
  const proxy = await proxyServer.listen(config.listen.host, config.listen.port);
  const admin = await adminServer.listen(config.admin.host, config.admin.port).catch(async (error: unknown) => {
    await proxyServer.close(0);
    throw error;
  });

  inventoryPersister.start();

  return {
    proxy,
    admin,
    caCertPath: ca.certPath,
    minter,
    flushAudit: () => audit.flush(),
    reopenAudit: () => audit.reopen(),
    reloadRefused: () => metrics.recordReload('failure'),
    reload(next) {
      let built: Runtime;
      try {
        const blocked = restartOnlyChanges(runtime.config, next);
        if (blocked.length > 0) throw new Error(`these settings need a restart: ${blocked.join(', ')}`);
        built = buildRuntime(next, services); // throws on a bad policy: the old runtime stays
      } catch (error) {
        metrics.recordReload('failure');
        throw error;
      }
      runtime = built;
      metrics.setPolicy(policyLabels(next));
      metrics.recordReload('success');
      deps.logger.info({ tools: next.tools.size, mode: next.mode }, 'configuration reloaded');
    },
    async stop() {
      stopping = true;
      await proxyServer.close(runtime.config.shutdownGraceMs);
      await adminServer.close();
      agents.destroy();
      await pools.close();
      await audit.close();
      inventoryPersister.stop(); // after the audit log: every last event has been counted
    },
  };
}

function readiness(stopping: boolean, auditHealthy: boolean): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (stopping) reasons.push('shutting_down');
  if (!auditHealthy) reasons.push('audit_unavailable');
  return { ready: reasons.length === 0, reasons };
}

function sinkLogger(logger: Logger): SinkLog {
  return (level, message, fields) => logger[level]({ ...fields, component: 'audit-sink' }, message);
}
