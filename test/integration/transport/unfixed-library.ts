/**
 * The library our transport replaces, http-mitm-proxy 1.1.0, started bare on loopback with its CA in a
 * temp dir. Controls run the same probes against it to show each probe detects the defect it names. The
 * library prints to the console on every error and certificate; the caller silences that (and may assert
 * on it) with spies.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proxy } from 'http-mitm-proxy';
import { afterAll, beforeAll, vi } from 'vitest';
import { startBackend, type Backend } from '../../helpers/backend.js';

const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn', 'error'] as const;

/**
 * The library writes every socket event and error to the console; controls keep that out of the test
 * output. Undo with unmuteConsole() once the library is closed.
 */
export function muteConsole(): Record<(typeof CONSOLE_METHODS)[number], ReturnType<typeof vi.spyOn>> {
  return Object.fromEntries(CONSOLE_METHODS.map((method) => [method, vi.spyOn(console, method).mockImplementation(() => undefined)])) as never;
}

export interface UnfixedLibrary {
  readonly library: Proxy;
  readonly port: number;
  readonly sslCaDir: string;
  /** The library's own CA (PEM), for clients that must complete TLS with its leaves. */
  caPem(): string;
  close(): void;
}

export async function startUnfixedLibrary(sslCaDir = mkdtempSync(join(tmpdir(), 'mitm-control-'))): Promise<UnfixedLibrary> {
  const library = new Proxy();
  await new Promise<void>((resolve, reject) => {
    library.listen({ host: '127.0.0.1', port: 0, sslCaDir }, (error?: unknown) => (error ? reject(error as Error) : resolve()));
  });
  return {
    library,
    port: library.httpPort,
    sslCaDir,
    caPem: () => readFileSync(join(sslCaDir, 'certs', 'ca.pem'), 'utf8'),
    close: () => {
      library.close();
    },
  };
}

/** Restores the console after the closed library's last socket events (it logs hang-ups as they close). */
export async function unmuteConsole(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 250));
  vi.restoreAllMocks();
}

export interface ControlRig {
  readonly library: UnfixedLibrary;
  readonly backend: Backend;
}

/**
 * Registers beforeAll/afterAll for a control block: the bare library, a plain HTTP backend, the console
 * muted. Returns a getter (the rig exists only once beforeAll ran).
 */
export function useControlRig(): () => ControlRig {
  let rig: ControlRig | undefined;
  beforeAll(async () => {
    muteConsole();
    rig = { library: await startUnfixedLibrary(), backend: await startBackend() };
  });
  afterAll(async () => {
    rig?.library.close();
    await rig?.backend.close();
    await unmuteConsole();
  });
  return () => {
    if (!rig) throw new Error('control rig used outside its describe block');
    return rig;
  };
}
