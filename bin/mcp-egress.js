#!/usr/bin/env -S node --max-semi-space-size=32
// Entry point: runs the compiled CLI (built by `npm install` through the `prepare` script).
// --max-semi-space-size: a proxy allocates many short-lived objects per request; a larger young
// generation means far fewer scavenges (`npm run bench`: ~10% less proxy CPU per request). `npm start`,
// the benchmarks and the container start node with the same flag.
import { main } from '../dist/cli/index.js';

main(process.argv).catch((error) => {
  // Never print a stack with request data: the message alone, and a non-zero exit.
  process.stderr.write(`mcp-egress: ${error instanceof Error ? error.message : 'failed'}\n`);
  process.exitCode = 1;
});
