/**
 * RFC 5424 syslog messages: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`.
 *
 * Header fields are PRINTUSASCII of bounded length (RFC 5424 §6.2): anything else in a host or app name is
 * replaced by `_` rather than dropped, so the field stays recognisable; an empty field is the NILVALUE `-`.
 * Structured-data values escape `"`, `\` and `]` (§6.3.3); names are fixed by us. MSG is the audit line as
 * it is (JSON, UTF-8) without its newline and without a BOM: a JSON parser on the receiving side takes the
 * MSG whole, and octet counting (or RELP) carries the length, so no newline is needed to end it.
 */

export const SEVERITY = { warning: 4, notice: 5, info: 6 } as const;
export type Severity = (typeof SEVERITY)[keyof typeof SEVERITY];

/** The SD-ID under which every message carries its chain seq (32473: the documentation enterprise number, RFC 5612). */
export const SD_ID = 'mcp-egress@32473';

export interface SdElement {
  readonly id: string;
  readonly params: readonly (readonly [name: string, value: string])[];
}

export interface Rfc5424Message {
  readonly facility: number; // 0..23
  readonly severity: Severity;
  readonly time: Date;
  readonly hostname: string;
  readonly appName: string;
  readonly procId: string;
  readonly msgId: string;
  readonly structuredData: readonly SdElement[];
  /** The payload; a trailing newline is removed. */
  readonly message: string;
}

const LIMITS = { hostname: 255, appName: 48, procId: 128, msgId: 32, sdName: 32 } as const;

export function formatRfc5424(message: Rfc5424Message): string {
  const pri = message.facility * 8 + message.severity;
  const header = [
    `<${pri}>1`,
    message.time.toISOString(),
    headerField(message.hostname, LIMITS.hostname),
    headerField(message.appName, LIMITS.appName),
    headerField(message.procId, LIMITS.procId),
    headerField(message.msgId, LIMITS.msgId),
  ].join(' ');
  const sd = message.structuredData.length === 0 ? '-' : message.structuredData.map(formatSdElement).join('');
  return `${header} ${sd} ${stripNewline(message.message)}`;
}

/** PRINTUSASCII (33..126), at most `max` characters; `-` when empty. */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** A param value: `"`, `\` and `]` are escaped with a backslash (RFC 5424 §6.3.3). */
export function escapeSdValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

function sdName(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, LIMITS.sdName);
  return clean === '' ? '_' : clean;
}

function formatSdElement(element: SdElement): string {
  const params = element.params.map(([name, value]) => ` ${sdName(name)}="${escapeSdValue(value)}"`).join('');
  return `[${sdName(element.id)}${params}]`;
}

function stripNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
