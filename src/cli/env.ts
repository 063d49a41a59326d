/** `mcp-egress env --tool NAME [-c FILE] [--json]`: what an MCP host puts in a tool server's env. */
import { loadOrCreateCa } from '../proxy/certs/ca.js';
import { ensureDataDir } from '../state/data-dir.js';
import { clientEnvironment, shellLines, writeCombinedBundle } from './client-env.js';
import { loadConfigOrReport } from './load-config.js';

export async function runEnv(options: { tool: string; config?: string; json?: boolean }): Promise<number> {
  const config = loadConfigOrReport(options.config);
  if (!config) return 2;
  if (config.tools.size > 0 && !config.tools.has(options.tool)) {
    process.stderr.write(`mcp-egress: no tool named "${options.tool}" in ${config.source ?? 'the embedded default'}; configured: ${[...config.tools.keys()].join(', ')}\n`);
    return 2;
  }
  await ensureDataDir(config.dataDir);
  // The CA is created here if the proxy never ran, so the printed paths are usable at once.
  const ca = await loadOrCreateCa(config.dataDir);
  const bundle = writeCombinedBundle(config.dataDir, ca.certPem);
  const tool = config.tools.size > 0 ? options.tool : null;
  const env = clientEnvironment(config, tool, ca.certPath, bundle);
  process.stdout.write(options.json ? `${JSON.stringify(env, null, 2)}\n` : `${shellLines(env)}\n`);
  return 0;
}
