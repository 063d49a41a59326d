/** What every benchmark entry point does at its edges: write the results file, and turn main() into an exit code. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeResults(path: string | null, json: string): void {
  if (path === null) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${json}\n`);
}

/** Runs `main` and exits with its code; a thrown error prints one line (prefixed by `name`) and exits 2. */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
