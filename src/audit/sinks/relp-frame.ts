/**
 * RELP frames (librelp's protocol, as rsyslog's omrelp/imrelp speak it):
 * `TXNR SP COMMAND SP DATALEN [SP DATA] TRAILER`, TRAILER = "\n". DATALEN counts the bytes of DATA; with
 * a length of 0 the SP and DATA are absent (`3 rsp 0\n`, `0 serverclose 0\n`). The parser buffers partial
 * frames across chunks and throws on anything malformed: a peer that breaks framing cannot be resynced,
 * the connection is dropped and what was not acknowledged is resent.
 */

export interface RelpFrame {
  readonly txnr: number;
  readonly command: string;
  readonly data: Buffer;
}

export const MAX_TXNR = 999_999_999;

export function encodeRelpFrame(txnr: number, command: string, data: string | Buffer = ''): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (body.length === 0) return Buffer.from(`${txnr} ${command} 0\n`, 'latin1');
  const head = Buffer.from(`${txnr} ${command} ${body.length} `, 'latin1');
  return Buffer.concat([head, body, Buffer.from('\n')], head.length + body.length + 1);
}

/** The next transaction number: 1..999,999,999, then around again (txnr 0 is the server's). */
export function nextTxnr(txnr: number): number {
  return txnr >= MAX_TXNR ? 1 : txnr + 1;
}

export interface RelpFrameParser {
  push(chunk: Buffer): RelpFrame[];
}

const HEAD = /^(\d{1,9}) ([A-Za-z]{1,32}) (\d{1,9})$/;
const MAX_HEAD = 9 + 1 + 32 + 1 + 9 + 1;

export function createRelpFrameParser(maxDataBytes = 64 * 1024 * 1024): RelpFrameParser {
  let buffer: Buffer = Buffer.alloc(0);
  const parseOne = (): RelpFrame | null => {
    // The head ends at the SP before DATA, or at the trailer when DATALEN is 0.
    let end = -1;
    let spaces = 0;
    for (let i = 0; i < Math.min(buffer.length, MAX_HEAD + 1); i++) {
      const byte = buffer[i];
      if (byte === 0x0a || (byte === 0x20 && ++spaces === 3)) {
        end = i;
        break;
      }
    }
    if (end < 0) {
      if (buffer.length > MAX_HEAD) throw new Error('RELP: malformed frame header');
      return null;
    }
    const match = HEAD.exec(buffer.toString('latin1', 0, end));
    if (match === null) throw new Error('RELP: malformed frame header');
    const length = Number(match[3]);
    if (length > maxDataBytes) throw new Error(`RELP: frame of ${length} bytes exceeds ${maxDataBytes}`);
    const dataStart = buffer[end] === 0x0a ? end : end + 1;
    if (length === 0 && buffer[end] !== 0x0a) {
      if (buffer.length < end + 2) return null;
      if (buffer[end + 1] !== 0x0a) throw new Error('RELP: missing trailer');
      return take({ txnr: Number(match[1]), command: match[2]!, data: Buffer.alloc(0) }, end + 2);
    }
    if (length > 0 && buffer[end] === 0x0a) throw new Error('RELP: missing data');
    const trailer = dataStart + length;
    if (buffer.length <= trailer) return null;
    if (buffer[trailer] !== 0x0a) throw new Error('RELP: missing trailer');
    return take({ txnr: Number(match[1]), command: match[2]!, data: Buffer.from(buffer.subarray(dataStart, trailer)) }, trailer + 1);
  };
  const take = (frame: RelpFrame, consumed: number): RelpFrame => {
    buffer = buffer.subarray(consumed);
    return frame;
  };
  return {
    push(chunk) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const frames: RelpFrame[] = [];
      for (let frame = parseOne(); frame !== null; frame = parseOne()) frames.push(frame);
      return frames;
    },
  };
}

/** A `rsp` frame's data: `CODE SP TEXT [LF OFFER...]`. */
export function parseRsp(data: Buffer): { readonly code: number; readonly text: string; readonly offers: ReadonlyMap<string, string> } {
  const [status = '', ...lines] = data.toString('utf8').split('\n');
  const match = /^(\d{3})(?: (.*))?$/.exec(status);
  const offers = new Map<string, string>();
  for (const line of lines) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    offers.set(eq < 0 ? line : line.slice(0, eq), eq < 0 ? '' : line.slice(eq + 1));
  }
  return { code: match === null ? 0 : Number(match[1]), text: match?.[2] ?? '', offers };
}
