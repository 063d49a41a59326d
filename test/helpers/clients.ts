/**
 * Real clients, run as the tests' users would run them: curl and Python's urllib as child processes
 * (with the CA variables the environment presets removed, so only what the test passes is trusted).
 */
import { execFile } from 'node:child_process';
import { connect as netConnect } from 'node:net';

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const PRESET_CA_VARS = ['SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'];

export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of PRESET_CA_VARS) delete env[name];
  return { ...env, ...extra };
}

export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv(), input?: string | Buffer): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { env, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** curl through the proxy; `-w` appends the status code on its own last line. */
export async function curl(
  url: string,
  options: { proxy: string; cacert: string; args?: readonly string[]; input?: string | Buffer },
): Promise<{ status: number; body: string; result: ProcessResult }> {
  const args = ['-sS', '--max-time', '15', '-x', options.proxy, '--cacert', options.cacert, '-w', '\n%{http_code}', ...(options.args ?? []), url];
  const result = await run('curl', args, cleanEnv(), options.input);
  const lines = result.stdout.split('\n');
  const status = Number(lines.pop());
  return { status, body: lines.join('\n'), result };
}

const PYTHON_GET = `
import json, os, ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=os.environ["TEST_CA"])
ctx.verify_flags |= ssl.VERIFY_X509_STRICT
proxy = os.environ["TEST_PROXY"]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({"https": proxy, "http": proxy}), urllib.request.HTTPSHandler(context=ctx))
try:
    with opener.open(sys.argv[1], timeout=15) as r:
        print(json.dumps({"status": r.status, "body": r.read().decode()}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": e.read().decode()}))
`;

/** Python's urllib through the proxy, with strict X.509 verification (Python 3.13's default). */
export async function pythonGet(url: string, proxy: string, cacert: string): Promise<{ status: number; body: string; result: ProcessResult }> {
  const result = await run('python3', ['-c', PYTHON_GET, url], cleanEnv({ TEST_CA: cacert, TEST_PROXY: proxy }));
  if (result.code !== 0) return { status: 0, body: '', result };
  const parsed = JSON.parse(result.stdout) as { status: number; body: string };
  return { ...parsed, result };
}

/** Sends one raw CONNECT and returns the proxy's complete reply (status line, headers, body). */
export function rawConnect(proxyPort: number, authority: string, proxyAuthorization?: string): Promise<{ status: number; head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(proxyPort, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw CONNECT timed out')));
    socket.on('connect', () => {
      const auth = proxyAuthorization ? `Proxy-Authorization: ${proxyAuthorization}\r\n` : '';
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.slice(0, end);
      const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const body = data.slice(end + 4);
      if (body.length >= length) {
        socket.destroy();
        resolve({ status: Number(head.split(' ')[1]), head, body });
      }
    });
    socket.on('error', reject);
  });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
