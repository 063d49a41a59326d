#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=65536 node --max-semi-space-size=32
// Entry point: runs the compiled CLI (built by `npm install` through the `prepare` script).
// --max-semi-space-size: a proxy allocates many short-lived objects per request; a larger young
// generation means far fewer scavenges (`npm run bench`: ~10% less proxy CPU per request). `npm start`,
// the benchmarks and the container start node with the same flag.
// MALLOC_ARENA_MAX / MALLOC_TRIM_THRESHOLD_: glibc keeps fewer arenas and hands freed memory back sooner;
// a burst of large bodies (each chunk copied by the upstream client while it reads a paused socket) then
// leaves less resident memory behind (`npm run bench`, 4 slow clients: peak RSS ~200 -> ~187 MB, idle
// 143 -> 127 MB, the same CPU per request). Ignored where the C library is not glibc.
import { main } from '../dist/cli/index.js';

main(process.argv).catch((error) => {
  // Never print a stack with request data: the message alone, and a non-zero exit.
  process.stderr.write(`mcp-egress: ${error instanceof Error ? error.message : 'failed'}\n`);
  process.exitCode = 1;
});
