/**
 * A private rsyslogd for tests: one input (imtcp plain, imtcp with the ossl TLS driver, or imrelp) on a
 * loopback port, a private config, pid file and work directory, and every message written raw (`%rawmsg%`)
 * to a file the test reads. No system rsyslog, no /dev/log. The main queue is Direct, so imrelp answers
 * `rsp 200` only after omfile has written the message: an acknowledged event survives a SIGKILL (it is in
 * the page cache), which is what makes the RELP kill test meaningful.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export const RSYSLOGD = '/usr/sbin/rsyslogd';

export interface RsyslogTls {
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
}

export interface RsyslogOptions {
  readonly transport: 'tcp' | 'tls' | 'relp';
  readonly port?: number;
  readonly tls?: RsyslogTls;
  readonly maxMessageSize?: string;
}

export interface ReceivedMessage {
  readonly raw: string;
  readonly pri: number;
  readonly appName: string;
  readonly msgId: string;
  /** Structured data: SD-ID -> param -> value (unescaped). */
  readonly sd: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly seq: number | null;
  readonly msg: string;
}

export interface Rsyslog {
  readonly port: number;
  readonly dir: string;
  readonly output: string;
  running(): boolean;
  received(): ReceivedMessage[];
  /** rsyslog's own RFC 5424 parse of each message: app-name, msgid, structured-data, msg (tab-separated). */
  parsed(): string[][];
  /** Waits (bounded) until at least `count` messages arrived; returns them all. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** SIGSTOP for `ms`: it neither reads nor acknowledges (the kernel still takes bytes), then stays stopped until killed or resumed. */
  freeze(ms: number): Promise<void>;
  /** SIGKILL: no goodbye to its peers. */
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** Starts it again with the same config and port. */
  start(): Promise<void>;
}

function config(options: RsyslogOptions, port: number, dir: string, output: string): string {
  const tls = options.transport === 'tls' ? options.tls : undefined;
  if (options.transport === 'tls' && tls === undefined) throw new Error('a TLS rsyslog needs a certificate');
  const globalTls = tls
    ? ` defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="${tls.caCert}" defaultNetstreamDriverCertFile="${tls.cert}" defaultNetstreamDriverKeyFile="${tls.key}"`
    : '';
  const input = {
    tcp: `module(load="imtcp" maxSessions="50")\ninput(type="imtcp" address="127.0.0.1" port="${port}" ruleset="out")`,
    tls: `module(load="imtcp" maxSessions="50" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")\ninput(type="imtcp" address="127.0.0.1" port="${port}" ruleset="out")`,
    relp: `module(load="imrelp")\ninput(type="imrelp" address="127.0.0.1" port="${port}" ruleset="out" maxDataSize="${options.maxMessageSize ?? '256k'}")`,
  }[options.transport];
  return `global(workDirectory="${join(dir, 'work')}" maxMessageSize="${options.maxMessageSize ?? '256k'}"${globalTls})
main_queue(queue.type="Direct")
${input}
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string" string="%app-name%\\t%msgid%\\t%structured-data%\\t%msg%\\n")
ruleset(name="out" queue.type="Direct") {
  action(type="omfile" file="${output}" template="raw" flushOnTXEnd="on")
  action(type="omfile" file="${output}.parsed" template="parsed" flushOnTXEnd="on")
}
`;
}

export async function startRsyslog(options: RsyslogOptions): Promise<Rsyslog> {
  const dir = mkdtempSync(join(tmpdir(), 'egress-rsyslog-'));
  mkdirSync(join(dir, 'work'), { mode: 0o700 });
  const port = options.port ?? (await freePort());
  const output = join(dir, 'received.log');
  const confPath = join(dir, 'rsyslog.conf');
  const pidPath = join(dir, 'rsyslogd.pid');
  writeFileSync(confPath, config(options, port, dir, output));
  let child: ChildProcess | null = null;

  const start = async (): Promise<void> => {
    rmSync(pidPath, { force: true }); // a SIGKILLed rsyslogd leaves its pid file behind
    const log = openSync(join(dir, 'rsyslogd.log'), 'a');
    const spawned = spawn(RSYSLOGD, ['-n', '-f', confPath, '-i', pidPath], { stdio: ['ignore', log, log] });
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = null;
    });
    await waitForPort(port, 10_000, () => child === spawned);
  };
  const exited = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    if (current === null) return;
    const gone = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill(signal);
    await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    child = null;
  };
  const received = (): ReceivedMessage[] => (existsSync(output) ? readFileSync(output, 'utf8').split('\n').filter((l) => l !== '').map(parseReceived) : []);

  await start();
  return {
    port,
    dir,
    output,
    running: () => child !== null,
    received,
    parsed: () => (existsSync(`${output}.parsed`) ? readFileSync(`${output}.parsed`, 'utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t')) : []),
    async waitForMessages(count, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const messages = received();
        if (messages.length >= count) return messages;
        if (Date.now() > deadline) throw new Error(`rsyslog received ${messages.length} of ${count} messages in ${timeoutMs} ms (see ${dir})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async freeze(ms) {
      child?.kill('SIGSTOP');
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
    kill: () => exited('SIGKILL'),
    stop: () => exited('SIGTERM'),
    start,
  };
}

async function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('rsyslogd exited during start-up');
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`rsyslogd did not listen on ${port} within ${timeoutMs} ms`);
}

/** `<PRI>1 TS HOST APP PROCID MSGID SD MSG`, the SD with RFC 5424 escapes undone. */
export function parseReceived(raw: string): ReceivedMessage {
  const header = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(raw);
  if (header === null) throw new Error(`not an RFC 5424 message: ${raw.slice(0, 80)}`);
  let at = header[0].length;
  const sd = new Map<string, Map<string, string>>();
  if (raw[at] === '-') at += 1;
  for (let guard = 0; raw[at] === '[' && guard < 100; guard++) {
    const id = /^\[([^ \]]+)/.exec(raw.slice(at))![1]!;
    at += 1 + id.length;
    const params = new Map<string, string>();
    while (raw[at] === ' ') {
      const name = /^ ([^=]+)="/.exec(raw.slice(at))![1]!;
      at += name.length + 3;
      let value = '';
      while (at < raw.length && raw[at] !== '"') {
        if (raw[at] === '\\' && ['"', '\\', ']'].includes(raw[at + 1] ?? '')) at += 1;
        value += raw[at];
        at += 1;
      }
      at += 1;
      params.set(name, value);
    }
    at += 1; // ]
    sd.set(id, params);
  }
  const seq = sd.get('mcp-egress@32473')?.get('seq');
  return { raw, pri: Number(header[1]), appName: header[4]!, msgId: header[6]!, sd, seq: seq === undefined ? null : Number(seq), msg: raw.slice(at + 1) };
}
