/**
 * Which response bodies are scanned, by Content-Type, and where a scanned body may be cut so that what
 * came before the cut is flushed to the client at once.
 *
 * Binary bodies (images, audio, video, fonts, archives, PDF, wasm, protobuf/gRPC, byte ranges) are
 * relayed untouched and marked `binary` in the audit: a secret pattern "found" in compressed or image
 * bytes is noise, and rewriting bytes there would corrupt the file — or, for gRPC and byte ranges, break
 * a length-prefixed framing the client relies on. Everything else is scanned, including a missing or
 * unknown type: a text body without a type is common, and scanning text that turns out to be harmless
 * costs only time, while passing an unknown text type unscanned would leak (fail closed).
 *
 * Streaming framings: an SSE stream (text/event-stream) and a JSON Lines stream are consumed event by
 * event (line by line) while the upstream may stay idle between them. The stream redactor holds back a
 * tail (the longest possible secret, ~16 KB with the shipped catalogue), so such a body is cut after
 * each complete event (line) instead: that part is redacted and flushed at once (response-scrub.ts).
 * A secret cannot span the cut: SSE fields end at a line break, JSON strings hold no raw newline.
 */
export type BodyFraming = 'stream' | 'events' | 'lines';
export type BodyKind = { readonly scan: false } | { readonly scan: true; readonly framing: BodyFraming };

const BINARY: BodyKind = { scan: false };
const TEXT: BodyKind = { scan: true, framing: 'stream' };
const EVENTS: BodyKind = { scan: true, framing: 'events' };
const LINES: BodyKind = { scan: true, framing: 'lines' };

const LINE_DELIMITED_JSON = new Set([
  'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonl',
  'application/jsonlines', 'application/x-jsonlines', 'application/json-seq',
]);

const BINARY_TYPES = new Set([
  'application/octet-stream', 'application/zip', 'application/gzip', 'application/x-gzip', 'application/x-tar',
  'application/x-bzip2', 'application/x-xz', 'application/zstd', 'application/x-7z-compressed',
  'application/vnd.rar', 'application/java-archive', 'application/pdf', 'application/wasm',
  'application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf',
  'application/x-msgpack', 'application/msgpack', 'application/cbor', 'application/vnd.apache.avro',
  'application/vnd.apache.parquet', 'application/x-sqlite3', 'multipart/byteranges',
]);

// Structured-syntax suffixes (RFC 6839) that are binary whatever the subtype says.
const BINARY_SUFFIXES = ['+zip', '+gzip', '+cbor', '+proto', '+protobuf', '+msgpack'];
const TEXT_SUFFIXES = ['+json', '+xml'];
const BINARY_TOP_LEVEL = new Set(['image', 'audio', 'video', 'font', 'model']);

/**
 * First match wins. gRPC comes before the text suffixes (application/grpc+json is still framed by
 * length prefixes); the text suffixes come before the binary top-level types (image/svg+xml is XML).
 */
const RULES: readonly (readonly [(essence: string) => boolean, BodyKind])[] = [
  [(essence) => essence === 'text/event-stream', EVENTS],
  [(essence) => LINE_DELIMITED_JSON.has(essence), LINES],
  [(essence) => essence.startsWith('application/grpc'), BINARY],
  [(essence) => BINARY_TYPES.has(essence), BINARY],
  [(essence) => BINARY_SUFFIXES.some((suffix) => essence.endsWith(suffix)), BINARY],
  [(essence) => TEXT_SUFFIXES.some((suffix) => essence.endsWith(suffix)), TEXT],
  [(essence) => BINARY_TOP_LEVEL.has(essence.slice(0, essence.indexOf('/'))), BINARY],
];

/** The kind of one Content-Type value; a missing, empty or unknown type is scanned as a stream. */
export function bodyKindOf(contentType: string | undefined): BodyKind {
  const essence = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (essence === '') return TEXT;
  return RULES.find(([matches]) => matches(essence))?.[1] ?? TEXT;
}

/**
 * The kind of a response from its raw header list. Several Content-Type lines (clients disagree on which
 * one wins): binary only if every one of them is binary, otherwise the first scanned kind (fail closed).
 */
export function responseBodyKind(rawHeaders: readonly string[]): BodyKind {
  const kinds: BodyKind[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() === 'content-type') kinds.push(bodyKindOf(rawHeaders[i + 1]));
  }
  if (kinds.length === 0) return TEXT;
  return kinds.find((kind) => kind.scan) ?? BINARY;
}

const LF = 0x0a;
const CR = 0x0d;

function isLineBreak(byte: number | undefined): boolean {
  return byte === LF || byte === CR;
}

/**
 * The offset just past the last complete SSE event in `bytes` (the line break ending an empty line;
 * lines end in CRLF, LF or CR), if it lies after `from`; otherwise -1. Cutting slightly early (a CR
 * whose LF is in the next chunk) is harmless: the cut only decides what is flushed together, the bytes
 * are unchanged.
 */
export function lastEventEnd(bytes: Buffer, from: number): number {
  for (let i = bytes.length - 1; i >= from; i--) {
    if (!isLineBreak(bytes[i])) continue;
    const lineBreakStart = bytes[i] === LF && bytes[i - 1] === CR ? i - 1 : i;
    if (lineBreakStart > 0 && isLineBreak(bytes[lineBreakStart - 1])) return i + 1;
  }
  return -1;
}

/** The offset just past the last LF in `bytes`, if it lies after `from`; otherwise -1. */
export function lastLineEnd(bytes: Buffer, from: number): number {
  const at = bytes.lastIndexOf(LF);
  return at >= from ? at + 1 : -1;
}

/** How many bytes before a chunk the boundary search needs to see (`\r\n\r` before a final `\n`). */
export const BOUNDARY_LOOKBEHIND = 3;
