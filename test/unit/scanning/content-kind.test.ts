/**
 * Which bodies are scanned as text and which pass through as binary, by Content-Type (parameters, case
 * and whitespace ignored; a missing, empty or unknown type is text), and in which encodings a text body
 * hides secrets (JSON escapes, percent-encoding, or both when the type does not say).
 */
import { describe, expect, it } from 'vitest';
import { contentKind, type ContentKind } from '../../../src/scanning/content-kind.js';

describe('contentKind', () => {
  it.each<[string | undefined, ContentKind]>([
    // Missing, empty or not a media type: scanned (a text body without a type is common).
    [undefined, 'text'],
    ['', 'text'],
    ['   ', 'text'],
    ['; charset=utf-8', 'text'],
    ['garbage', 'text'],
    ['/', 'text'],
    // Text, with parameters, odd case and whitespace.
    ['application/json', 'text'],
    ['Application/JSON; charset=UTF-8', 'text'],
    ['  text/plain ;charset=us-ascii', 'text'],
    ['text/html; charset="utf-8"', 'text'],
    ['application/x-www-form-urlencoded', 'text'],
    ['multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW', 'text'],
    ['application/vnd.api+json', 'text'],
    ['application/problem+json', 'text'],
    ['application/xml', 'text'],
    ['application/x-ndjson', 'text'],
    ['text/event-stream', 'text'],
    ['application/graphql', 'text'],
    ['application/javascript', 'text'],
    ['application/vnd.unknown-thing', 'text'],
    // SVG is XML: text, though its top-level type is image.
    ['image/svg+xml', 'text'],
    ['IMAGE/SVG+XML; charset=utf-8', 'text'],
    // Binary top-level types.
    ['image/png', 'binary'],
    ['Image/JPEG', 'binary'],
    ['image/webp; q=0.8', 'binary'],
    ['audio/mpeg', 'binary'],
    ['video/mp4', 'binary'],
    ['font/woff2', 'binary'],
    ['model/gltf-binary', 'binary'],
    // Binary application types.
    ['application/octet-stream', 'binary'],
    ['APPLICATION/OCTET-STREAM; name="x.bin"', 'binary'],
    ['application/zip', 'binary'],
    ['application/gzip', 'binary'],
    ['application/x-gzip', 'binary'],
    ['application/x-tar', 'binary'],
    ['application/zstd', 'binary'],
    ['application/pdf', 'binary'],
    ['application/wasm', 'binary'],
    ['application/x-protobuf', 'binary'],
    ['application/protobuf', 'binary'],
    ['application/vnd.google.protobuf; proto=pkg.Msg', 'binary'],
    ['application/msgpack', 'binary'],
    ['application/cbor', 'binary'],
    ['application/vnd.apache.parquet', 'binary'],
    ['multipart/byteranges; boundary=3d6b6a416f9b5', 'binary'],
    // gRPC in every framing, and binary structured-syntax suffixes (RFC 6839).
    ['application/grpc', 'binary'],
    ['application/grpc+proto', 'binary'],
    ['application/grpc-web+proto', 'binary'],
    ['application/epub+zip', 'binary'],
    ['application/vnd.etsi.asic-e+zip', 'binary'],
    ['application/vnd.example+gzip', 'binary'],
    ['application/senml+cbor', 'binary'],
    ['application/vnd.example+protobuf', 'binary'],
    ['application/vnd.example+msgpack', 'binary'],
    ['application/vnd.example+proto; charset=binary', 'binary'],
  ])('%j is %s', (contentType, kind) => {
    expect(contentKind(contentType)).toBe(kind);
  });
});
