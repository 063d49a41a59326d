/**
 * What real clients put in `Proxy-Authorization` for a proxy URL whose userinfo is percent-encoded (as
 * `mcp-egress env` writes it), and that the verifier accepts exactly that. A loopback listener records
 * the header and answers 407; the target host is never resolved or dialled.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ProxyAgent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialVerifier, parseBasic } from '../../../src/identity/proxy-credentials.js';
import { run } from '../../helpers/clients.js';

const PASSWORDS = [
  { name: 'plain', password: 'plain-secret-0123456789' },
  { name: ': and @', password: 'p@ss:w0rd@host:1' },
  { name: 'unicode', password: 'pässwörd-🔑-密码' },
  { name: 'a literal %41 and %', password: 'pa%41ss-100%-sure' },
  { name: 'URL delimiters', password: 'a/b?c#d e+f&g=h' },
];

interface Recorder {
  readonly port: number;
  readonly headers: (string | undefined)[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const headers: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    headers.push(req.headers['proxy-authorization']);
    res.writeHead(407, { connection: 'close', 'content-length': '0' }).end();
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));
  server.on('connect', (req: http.IncomingMessage, socket: Socket) => {
    headers.push(req.headers['proxy-authorization']);
    socket.end('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    headers,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let recorder: Recorder;
beforeAll(async () => {
  recorder = await startRecorder();
});
afterAll(async () => {
  await recorder.close();
});

function proxyUrl(password: string): string {
  return `http://reader:${encodeURIComponent(password)}@127.0.0.1:${recorder.port}`;
}

/** The header the next request delivered to the recorder. */
async function captured(send: () => Promise<unknown>): Promise<string> {
  const before = recorder.headers.length;
  await send();
  expect(recorder.headers.length).toBe(before + 1);
  const header = recorder.headers[before];
  if (header === undefined) throw new Error('the client sent no Proxy-Authorization');
  return header;
}

async function viaCurl(args: readonly string[]): Promise<string> {
  return captured(() => run('curl', ['-sS', '--max-time', '10', ...args, 'http://target.example.test/']));
}

async function viaUndici(password: string): Promise<string> {
  const agent = new ProxyAgent(proxyUrl(password));
  try {
    return await captured(() => request('http://target.example.test/', { dispatcher: agent }).catch(() => undefined));
  } finally {
    await agent.close();
  }
}

const CLIENTS = [
  { client: 'curl, percent-encoded proxy URL', send: (password: string) => viaCurl(['-x', proxyUrl(password)]) },
  {
    // curl percent-decodes --proxy-user too, so a literal `%41` must be written `%2541` there as well.
    client: 'curl, percent-encoded --proxy-user',
    send: (password: string) => viaCurl(['-x', `http://127.0.0.1:${recorder.port}`, '--proxy-user', `reader:${encodeURIComponent(password)}`]),
  },
  { client: 'undici ProxyAgent, percent-encoded proxy URL', send: viaUndici },
];

describe.each(CLIENTS)('$client', ({ send }) => {
  it.each(PASSWORDS)('sends the decoded password ($name), which the verifier accepts', async ({ password }) => {
    const header = await send(password);
    expect(parseBasic(header)).toEqual({ user: 'reader', password });
    const verifier = createCredentialVerifier(new Map([['reader', password]]));
    expect(verifier.verify(header)).toEqual({ ok: true, tool: 'reader' });
  });
});

describe('a secret that only equals the configured one after percent-decoding', () => {
  it('is refused: the header is compared as sent', async () => {
    const header = await viaCurl(['-x', proxyUrl('pa%41ss-long-secret')]);
    const verifier = createCredentialVerifier(new Map([['reader', 'paAss-long-secret']]));
    expect(verifier.verify(header)).toEqual({ ok: false, reason: 'proxy_auth_invalid' });
  });
});
