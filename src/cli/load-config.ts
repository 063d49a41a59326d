/** Shared by the commands: the config file if given, else the embedded default; errors printed, not thrown. */
import { ConfigError } from '../config/errors.js';
import { loadConfigFile, loadEmbeddedDefault } from '../config/load.js';
import type { EgressConfig } from '../config/types.js';

export function loadConfigOrReport(file: string | undefined): EgressConfig | null {
  try {
    return file ? loadConfigFile(file, process.env) : loadEmbeddedDefault(process.cwd(), process.env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      process.stderr.write(`mcp-egress: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}
