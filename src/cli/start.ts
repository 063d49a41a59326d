/**
 * `mcp-egress start`: run until SIGTERM/SIGINT (graceful: stop accepting, finish in-flight requests
 * within the grace period, flush the audit log). SIGHUP reopens the audit files (log rotation) and reloads the config file all-or-nothing.
 */
import type { Logger } from 'pino';
import { createLineScrubber } from '../logging/line-scrubber.js';
import { createProcessLogger, scrubbingDestination } from '../logging/process-logger.js';
import { createScanner, loadCatalogue, PatternCatalogueError, type Scanner } from '../scanning/index.js';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile } from '../config/load.js';
import type { EgressConfig } from '../config/types.js';
import { startEgress, type RunningEgress } from '../main.js';
import { VERSION } from '../version.js';
import { clientEnvironment, shellLines, writeCombinedBundle } from './client-env.js';
import { loadConfigOrReport } from './load-config.js';
import { readFileSync } from 'node:fs';

interface StartOptions {
  readonly config?: string;
  readonly caCert?: string;
  readonly caKey?: string;
}

export async function runStart(options: StartOptions): Promise<number> {
  const config = loadConfigOrReport(options.config);
  if (!config) return 2;
  if ((options.caCert === undefined) !== (options.caKey === undefined)) {
    process.stderr.write('mcp-egress: --ca-cert and --ca-key go together\n');
    return 2;
  }
  const scanner = loadScannerOrReport();
  if (!scanner) return 2;
  const logger = createProcessLogger(scrubbingDestination(2, createLineScrubber(scanner)));
  installCrashHandlers(logger);
  let running: RunningEgress;
  try {
    const caFiles = options.caCert && options.caKey ? { cert: options.caCert, key: options.caKey } : undefined;
    running = await startEgress(config, caFiles ? { logger, scanner, caFiles } : { logger, scanner });
  } catch (error: unknown) {
    logger.fatal({ err: { message: error instanceof Error ? error.message : 'unknown' } }, 'start failed');
    return 1;
  }
  printBanner(config, running);
  logger.info({ version: VERSION, proxy: running.proxy, admin: running.admin, mode: config.mode }, 'listening');
  return waitForSignals(running, options.config, logger);
}

/** A catalogue that does not load refuses the start (fail closed), listing every problem. */
function loadScannerOrReport(): Scanner | null {
  try {
    return createScanner(loadCatalogue());
  } catch (error: unknown) {
    if (!(error instanceof PatternCatalogueError)) throw error;
    process.stderr.write(`mcp-egress: the secret patterns do not load\n${error.message}\n`);
    return null;
  }
}

function printBanner(config: EgressConfig, running: RunningEgress): void {
  const bundle = writeCombinedBundle(config.dataDir, readFileSync(running.caCertPath, 'utf8'));
  const tool = config.tools.size > 0 ? '<tool>' : null;
  const env = clientEnvironment(config, null, running.caCertPath, bundle);
  const lines = [
    `mcp-egress ${VERSION}: proxy http://${hostPort(running.proxy)}  admin http://${hostPort(running.admin)}/metrics`,
    `mode: ${config.mode}; tools: ${config.tools.size === 0 ? 'none (anonymous, report only)' : [...config.tools.keys()].join(', ')}`,
    `interception CA: ${running.caCertPath}`,
    tool === null
      ? 'Point a client at it with:'
      : 'Per tool, `mcp-egress env --tool NAME` prints these lines with its credentials; without them:',
    shellLines(env),
    '',
  ];
  // With an audit sink on stdout, stdout is a JSON-lines stream: the human banner goes to stderr.
  const toStdout = !config.audit.sinks.some((sink) => sink.type === 'stdout');
  (toStdout ? process.stdout : process.stderr).write(`${lines.join('\n')}\n`);
}

/**
 * A crash is logged without the error's message (it can quote request data, and so a secret): name,
 * code and stack frames only. Then the process exits non-zero; the supervisor restarts it.
 */
function installCrashHandlers(logger: Logger): void {
  const crash = (kind: string) => (error: unknown): void => {
    const err = error instanceof Error ? error : new Error('non-error thrown');
    const frames = (err.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 20);
    logger.fatal({ kind, name: err.name, code: (err as { code?: unknown }).code, frames }, 'crashed');
    process.exit(70);
  };
  process.on('uncaughtException', crash('uncaughtException'));
  process.on('unhandledRejection', crash('unhandledRejection'));
}

function hostPort(address: { address: string; port: number }): string {
  return address.address.includes(':') ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

function waitForSignals(running: RunningEgress, configFile: string | undefined, logger: Logger): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      // Log rotation first (logrotate renames the file, then signals): new events go to a fresh file.
      running.reopenAudit();
      reload(running, configFile, logger);
    });
  });
}

function reload(running: RunningEgress, configFile: string | undefined, logger: Logger): void {
  if (!configFile) {
    logger.info('SIGHUP: audit files reopened; running on the embedded default, there is no config file to reload');
    return;
  }
  try {
    running.reload(loadConfigFile(configFile, process.env));
  } catch (error: unknown) {
    if (error instanceof ConfigError) running.reloadRefused(); // reload() counts its own refusals
    const problems = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : 'unknown';
    logger.error({ problems }, 'reload refused; the running configuration stays');
  }
}
