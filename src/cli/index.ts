/**
 * The command line: `start`, `check-config`, `env`, `redact`, `wrap`, `audit verify|fingerprint`, `tokens`. Each command is a small module; this file only
 * declares the surface (commander) and maps results to exit codes.
 */
import { Command, Option } from 'commander';
import { VERSION } from '../version.js';
import { runAuditFingerprint, runAuditVerify } from './audit.js';
import { runCheckConfig } from './check-config.js';
import { runEnv } from './env.js';
import { runRedact } from './redact.js';
import { runStart } from './start.js';
import { runTokens } from './tokens.js';
import { runWrap } from './wrap.js';

export async function main(argv: readonly string[]): Promise<void> {
  const program = new Command()
    .name('mcp-egress')
    .description('Egress proxy for MCP servers: per-tool identity and allowlists, audit, metrics')
    .version(VERSION)
    .showHelpAfterError()
    // Options after a subcommand belong to it: `wrap` passes the server's own options through untouched.
    .enablePositionalOptions();

  program
    .command('start')
    .description('run the proxy (embedded default without -c: report mode, no tools, 127.0.0.1:8080)')
    .option('-c, --config <file>', 'YAML configuration file')
    .addOption(new Option('--ca-cert <file>', 'interception CA certificate (PEM) instead of the generated one'))
    .addOption(new Option('--ca-key <file>', 'private key of --ca-cert (PEM)'))
    .action(async (options: { config?: string; caCert?: string; caKey?: string }) => {
      process.exitCode = await runStart(options);
    });

  program
    .command('check-config')
    .description('validate a configuration file; lists every problem and exits non-zero if there is one')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .action((options: { config: string }) => {
      process.exitCode = runCheckConfig(options.config);
    });

  program
    .command('env')
    .description("print the environment an MCP host gives a tool's server (proxy URL with credentials, CA bundle)")
    .requiredOption('--tool <name>', 'configured tool name')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--json', 'print a JSON object instead of shell lines')
    .action(async (options: { tool: string; config?: string; json?: boolean }) => {
      process.exitCode = await runEnv(options);
    });

  program
    .command('redact')
    .description('stdin -> stdout filter replacing secrets with [REDACTED:<kind>]; exit 0; --stats counts kinds on stderr')
    .option('--patterns <dir>', 'pattern catalogue directory (default: the bundled patterns/)')
    .option('--jsonl', 'input is JSON lines: also catch JSON-escaped secrets (\\/, \\u00XX)')
    .option('--stats', 'print counts by kind on stderr at the end')
    .action(async (options: { patterns?: string; jsonl?: boolean; stats?: boolean }) => {
      process.exitCode = await runRedact(options);
    });

  program
    .command('wrap')
    .description('run an MCP server through the proxy: checks the proxy and the credentials, sets the env, stdio untouched')
    .requiredOption('--tool <name>', 'configured tool name')
    .option('-c, --config <file>', 'YAML configuration file')
    .option('--proxy <host:port>', "the proxy as the server reaches it, when not at the config's listen address")
    .argument('<command...>', 'the server command line, after `--` (e.g. -- npx -y @modelcontextprotocol/server-github)')
    .passThroughOptions()
    .action(async (command: string[], options: { tool: string; config?: string; proxy?: string }) => {
      process.exitCode = await runWrap(options, command);
    });

  const audit = program.command('audit').description('work with audit files: verify the tamper-evidence chain, fingerprint a token');
  audit
    .command('verify')
    .description('check seq and prev_hash over audit files (oldest first); names the first break; exit 1 when broken')
    .argument('<files...>', 'audit files in order, oldest first (rotated files before the current one)')
    .option('--allow-partial-tail', 'accept a file ending in a partial line (a crash mid-write): verified up to the last whole line')
    .action(async (files: string[], options: { allowPartialTail?: boolean }) => {
      process.exitCode = await runAuditVerify(files, options);
    });
  audit
    .command('fingerprint')
    .description("read a token on stdin, print the fingerprint audit events carry for it (uses the data dir's key, never creates one)")
    .option('-c, --config <file>', 'YAML configuration file (for the data dir)')
    .action(async (options: { config?: string }) => {
      process.exitCode = await runAuditFingerprint(options);
    });

  program
    .command('tokens')
    .description("list the token inventory in the data dir: per fingerprint its kind, hint, uses, first/last seen, tools, principals, hosts")
    .option('-c, --config <file>', 'YAML configuration file (for the data dir)')
    .option('--json', 'print the full records as a JSON array')
    .action(async (options: { config?: string; json?: boolean }) => {
      process.exitCode = await runTokens(options);
    });

  await program.parseAsync([...argv]);
}
