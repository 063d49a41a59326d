/**
 * Which bodies are text worth scanning and which are binary, by Content-Type. Binary bodies (images,
 * archives, fonts, protobuf) are passed through unscanned and marked so in the audit: a secret pattern
 * "found" in compressed or image bytes is noise, and rewriting bytes there would corrupt the file.
 * A missing or unknown type is scanned: a text body without a type is common, and scanning text that
 * turns out to be harmless costs only time.
 */
export type ContentKind = 'text' | 'binary';

const BINARY_TOP_LEVEL = new Set(['image', 'audio', 'video', 'font', 'model']);

const BINARY_TYPES = new Set([
  'application/octet-stream', 'application/zip', 'application/gzip', 'application/x-gzip', 'application/x-tar',
  'application/x-bzip2', 'application/x-xz', 'application/zstd', 'application/x-7z-compressed',
  'application/vnd.rar', 'application/java-archive', 'application/pdf', 'application/wasm',
  'application/x-protobuf', 'application/protobuf', 'application/vnd.google.protobuf', 'application/grpc',
  'application/x-msgpack', 'application/msgpack', 'application/cbor', 'application/vnd.apache.avro',
  'application/vnd.apache.parquet', 'multipart/byteranges', 'application/x-sqlite3',
]);

// Structured-syntax suffixes (RFC 6839) that are binary whatever the subtype says.
const BINARY_SUFFIXES = ['+zip', '+gzip', '+cbor', '+proto', '+protobuf', '+msgpack'];

export function contentKind(contentType: string | undefined): ContentKind {
  if (contentType === undefined) return 'text';
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (essence === '') return 'text';
  const slash = essence.indexOf('/');
  if (slash > 0 && BINARY_TOP_LEVEL.has(essence.slice(0, slash))) return essence === 'image/svg+xml' ? 'text' : 'binary';
  if (BINARY_TYPES.has(essence) || essence.startsWith('application/grpc')) return 'binary';
  return BINARY_SUFFIXES.some((suffix) => essence.endsWith(suffix)) ? 'binary' : 'text';
}

/** How secrets hide in a text body of this type: JSON escapes, percent-encoding, or both when unsure. */
export function encodedFormsFor(contentType: string | undefined): { readonly json: boolean; readonly percent: boolean } {
  const essence = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (essence === 'application/x-www-form-urlencoded') return { json: false, percent: true };
  if (essence.endsWith('json') || essence === 'application/x-ndjson' || essence === 'text/event-stream') {
    return { json: true, percent: false };
  }
  return { json: true, percent: true };
}
