#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm install` through the `prepare` script).
import { main } from '../dist/cli/index.js';

main(process.argv).catch((error) => {
  // Never print a stack with request data: the message alone, and a non-zero exit.
  process.stderr.write(`mcp-egress: ${error instanceof Error ? error.message : 'failed'}\n`);
  process.exitCode = 1;
});
