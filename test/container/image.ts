/**
 * The project's image as the container tests use it: built from the real Dockerfile (layer cache kept
 * between runs), run hardened (read-only root filesystem, no capabilities, no privilege gain), its own
 * HEALTHCHECK command runnable, and a stop that reports the exit code and everything it printed.
 */
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GenericContainer, getContainerRuntimeClient, type ContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';

type ContainerInfo = Awaited<ReturnType<ContainerRuntimeClient['container']['inspect']>>;

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** A fixed tag: rebuilding reuses the engine's layer cache, and nothing else goes by this name. */
export const IMAGE_TAG = 'localhost/mcp-egress:container-test';
/**
 * npm inside the build trusts this bundle on machines behind a TLS-intercepting gateway (the local base
 * image carries it). A build arg of the install step only, never part of the image's environment.
 */
const BUILD_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function buildImage(): Promise<{ seconds: number }> {
  const started = performance.now();
  try {
    await GenericContainer.fromDockerfile(REPO_ROOT)
      .withBuildArgs({ NODE_EXTRA_CA_CERTS: BUILD_CA_BUNDLE })
      .build(IMAGE_TAG, { deleteOnExit: false });
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`building the image failed: ${why} (DEBUG=testcontainers:build shows the build output)`);
  }
  return { seconds: Math.round((performance.now() - started) / 100) / 10 };
}

/** The image run the way the README recommends: nothing on the root filesystem is writable. */
export class HardenedContainer extends GenericContainer {
  constructor() {
    super(IMAGE_TAG);
    this.withDroppedCapabilities('ALL').withSecurityOpt('no-new-privileges');
  }

  protected override beforeContainerCreated(): Promise<void> {
    // testcontainers has no builder method for it; this is `docker run --read-only`.
    this.hostConfig.ReadonlyRootfs = true;
    return Promise.resolve();
  }
}

/** The container's configuration as the engine reports it (the image's, plus what the run added). */
export async function containerConfig(container: StartedTestContainer): Promise<ContainerInfo['Config']> {
  const client = await getContainerRuntimeClient();
  return (await client.container.inspect(client.container.getById(container.getId()))).Config;
}

/** Runs the image's own HEALTHCHECK command inside the container (no systemd timer runs it under podman). */
export async function runHealthcheck(container: StartedTestContainer): Promise<{ exitCode: number }> {
  const test = (await containerConfig(container)).Healthcheck?.Test ?? [];
  if (test[0] !== 'CMD') throw new Error(`the image has no exec-form HEALTHCHECK: ${JSON.stringify(test)}`);
  const result = await container.exec(test.slice(1));
  return { exitCode: result.exitCode };
}

/**
 * `docker stop` with a grace period: SIGTERM, then SIGKILL after `graceMs`. Returns the exit code and
 * everything the container printed, read after it stopped (a live log stream can end before the last
 * lines arrive), then removes the container and its anonymous volumes.
 */
export async function stopGracefully(container: StartedTestContainer, graceMs = 20_000): Promise<{ exitCode: number; output: string }> {
  await container.stop({ timeout: graceMs, remove: false });
  const output = await readToEnd(await container.logs(), 10_000);
  const client = await getContainerRuntimeClient();
  const handle = client.container.getById(container.getId());
  const info = await client.container.inspect(handle);
  await client.container.remove(handle, { removeVolumes: true });
  return { exitCode: info.State.ExitCode, output };
}

function readToEnd(stream: Readable, timeoutMs: number): Promise<string> {
  const chunks: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`the container's log stream did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (chunk: Buffer | string) => chunks.push(String(chunk)));
    stream.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    stream.once('end', () => {
      clearTimeout(timer);
      resolve(chunks.join(''));
    });
  });
}
