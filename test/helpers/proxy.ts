/**
 * Starts mcp-egress in-process on loopback ports from a YAML config (the same loader the CLI uses), with
 * its own data dir, a private registry and a logger captured in memory.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseConfigText } from '../../src/config/load.js';
import type { Lookup } from '../../src/destination/resolve.js';
import { startEgress, type RunningEgress } from '../../src/main.js';
import type { AuditEvent } from '../../src/audit/event.js';
import { createScanner, loadCatalogue, type Scanner } from '../../src/scanning/index.js';

// Compiling the catalogue takes most of a second: one scanner serves every proxy a test file starts.
let sharedScanner: Scanner | undefined;
export function testScanner(): Scanner {
  sharedScanner ??= createScanner(loadCatalogue());
  return sharedScanner;
}

export interface TestProxy {
  readonly running: RunningEgress;
  readonly dir: string;
  readonly port: number;
  readonly adminPort: number;
  readonly caCert: string;
  readonly registry: Registry;
  readonly logs: string[];
  url(user?: string, password?: string): string;
  auditEvents(): AuditEvent[];
  auditText(): string;
  stop(): Promise<void>;
}

export interface TestProxyOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly lookup?: Lookup;
  readonly dir?: string;
}

/**
 * `yaml` may use `{{dir}}` for the proxy's own temp dir; listen/admin default to ephemeral ports and the
 * audit to `{{dir}}/audit.jsonl` unless the YAML sets them.
 */
export async function startTestProxy(yaml: string, options: TestProxyOptions = {}): Promise<TestProxy> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'egress-proxy-'));
  let text = yaml.replaceAll('{{dir}}', dir);
  if (!/^listen:/m.test(text)) text += '\nlisten: 127.0.0.1:0';
  if (!/^admin:/m.test(text)) text += '\nadmin: 127.0.0.1:0';
  if (!/^dataDir:/m.test(text)) text += `\ndataDir: ${join(dir, 'state')}`;
  if (!/^audit:/m.test(text)) text += `\naudit:\n  sinks:\n    - type: file\n      path: ${join(dir, 'audit.jsonl')}`;
  const config = parseConfigText(text, { baseDir: dir, env: options.env ?? {}, source: join(dir, 'config.yaml') });
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const registry = new Registry();
  const running = await startEgress(config, { logger, registry, scanner: testScanner(), ...(options.lookup ? { lookup: options.lookup } : {}) });
  const auditPath = config.audit.sinks.find((s) => s.type === 'file');
  const auditText = (): string => {
    running.flushAudit();
    return auditPath && auditPath.type === 'file' && existsSync(auditPath.path) ? readFileSync(auditPath.path, 'utf8') : '';
  };
  return {
    running,
    dir,
    port: running.proxy.port,
    adminPort: running.admin.port,
    caCert: running.caCertPath,
    registry,
    logs,
    url: (user, password) =>
      user === undefined ? `http://127.0.0.1:${running.proxy.port}` : `http://${encodeURIComponent(user)}:${encodeURIComponent(password ?? '')}@127.0.0.1:${running.proxy.port}`,
    // Request and connect events only: the chain's header and checkpoint lines are specified in audit-chain tests.
    auditEvents: () =>
      auditText()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AuditEvent)
        .filter((event) => event.kind === 'request' || event.kind === 'connect'),
    auditText,
    stop: () => running.stop(),
  };
}
