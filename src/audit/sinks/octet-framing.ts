/**
 * RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes (not characters). Unlike
 * newline framing it carries any message whole, whatever its size or content; rsyslog's imtcp detects it
 * from the leading digit. The decoder is for receivers in tests (and tells a broken stream apart from a
 * partial one).
 */

export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  const prefix = Buffer.from(`${body.length} `, 'latin1');
  return Buffer.concat([prefix, body], prefix.length + body.length);
}

export interface OctetCountingDecoder {
  /** Returns the messages completed by this chunk; throws on a malformed length prefix. */
  push(chunk: Buffer): Buffer[];
  /** Bytes held for an incomplete message. */
  buffered(): number;
}

const MAX_DIGITS = 10;

export function createOctetCountingDecoder(maxMessageBytes = 16 * 1024 * 1024): OctetCountingDecoder {
  let buffer: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const messages: Buffer[] = [];
      for (;;) {
        const space = buffer.indexOf(0x20);
        if (space < 0) {
          if (buffer.length > MAX_DIGITS || !/^\d*$/.test(buffer.toString('latin1'))) throw new Error('octet counting: malformed length');
          break;
        }
        const digits = buffer.toString('latin1', 0, space);
        if (!/^[1-9]\d{0,9}$/.test(digits)) throw new Error('octet counting: malformed length');
        const length = Number(digits);
        if (length > maxMessageBytes) throw new Error(`octet counting: message of ${length} bytes exceeds ${maxMessageBytes}`);
        if (buffer.length < space + 1 + length) break;
        messages.push(buffer.subarray(space + 1, space + 1 + length));
        buffer = buffer.subarray(space + 1 + length);
      }
      return messages;
    },
    buffered: () => buffer.length,
  };
}
