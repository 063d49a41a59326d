/** `mcp-egress check-config -c FILE`: every problem listed, exit 1 if there is one. */
import { checkConfig } from '../config/check.js';

export function runCheckConfig(file: string): number {
  const result = checkConfig(file, process.env);
  const stream = result.ok ? process.stdout : process.stderr;
  stream.write(`${result.lines.join('\n')}\n`);
  return result.exitCode;
}
