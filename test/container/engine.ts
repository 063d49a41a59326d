/**
 * Finding a container engine for the container tests: DOCKER_HOST when set, else Docker's default
 * socket, else the podman socket `scripts/container-runtime.sh up` starts on machines without Docker.
 * No engine is a skip on a developer's machine and a failure in CI (a CI run must not pass by skipping).
 */
import { existsSync } from 'node:fs';
import { getContainerRuntimeClient } from 'testcontainers';

const DOCKER_SOCKET = '/var/run/docker.sock';
/** Where scripts/container-runtime.sh serves podman's Docker-compatible API. */
export const PODMAN_SOCKET = '/run/podman/podman.sock';

export type EngineProbe =
  | { readonly found: true; readonly description: string }
  | { readonly found: false; readonly reason: string };

export async function findContainerEngine(timeoutMs = 20_000): Promise<EngineProbe> {
  usePodmanSocketWhenItIsTheOnlyEngine();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const client = await Promise.race([getContainerRuntimeClient(), deadline]);
    const runtime = client.info.containerRuntime;
    return { found: true, description: `${runtime.operatingSystem} via ${process.env.DOCKER_HOST ?? DOCKER_SOCKET}` };
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      found: false,
      reason: `no container engine reachable (${why}); start Docker, or run \`sudo bash scripts/container-runtime.sh up\` (podman)`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Without DOCKER_HOST and without Docker's socket, testcontainers would not look at podman's socket.
 * Ryuk (testcontainers' reaper) is an image pulled from a registry these machines cannot reach, so it is
 * off there too; every test stops and removes its own containers.
 */
function usePodmanSocketWhenItIsTheOnlyEngine(): void {
  if (process.env.DOCKER_HOST !== undefined || existsSync(DOCKER_SOCKET) || !existsSync(PODMAN_SOCKET)) return;
  process.env.DOCKER_HOST = `unix://${PODMAN_SOCKET}`;
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
}
