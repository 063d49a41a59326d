/**
 * Which response bodies are scanned (and with which framing) by Content-Type, and where an event stream
 * or a JSON Lines stream may be cut so that complete events are flushed at once.
 */
import { describe, expect, it } from 'vitest';
import { bodyKindOf, lastEventEnd, lastLineEnd, responseBodyKind, type BodyKind } from '../../../src/scanning/body-kind.js';

const STREAM: BodyKind = { scan: true, framing: 'stream' };
const EVENTS: BodyKind = { scan: true, framing: 'events' };
const LINES: BodyKind = { scan: true, framing: 'lines' };
const BINARY: BodyKind = { scan: false };

const TYPES: readonly (readonly [string | undefined, BodyKind])[] = [
  // Scanned: text, JSON and XML in all their spellings, scripts, forms, GraphQL; missing or unknown types.
  [undefined, STREAM],
  ['', STREAM],
  ['  ;charset=utf-8', STREAM],
  ['text/plain', STREAM],
  ['text/html; charset=UTF-8', STREAM],
  ['TEXT/CSV', STREAM],
  ['application/json', STREAM],
  ['Application/JSON ; charset=utf-8', STREAM],
  ['application/problem+json', STREAM],
  ['application/vnd.github+json', STREAM],
  ['application/atom+xml', STREAM],
  ['image/svg+xml', STREAM],
  ['application/xml', STREAM],
  ['application/javascript', STREAM],
  ['text/javascript', STREAM],
  ['application/x-www-form-urlencoded', STREAM],
  ['application/graphql', STREAM],
  ['application/graphql-response+json', STREAM],
  ['application/vnd.unknown-thing', STREAM],
  ['multipart/form-data; boundary=x', STREAM],
  ['not a media type', STREAM],
  // Streams consumed event by event, line by line.
  ['text/event-stream', EVENTS],
  ['text/event-stream; charset=utf-8', EVENTS],
  ['application/x-ndjson', LINES],
  ['application/jsonl', LINES],
  ['application/jsonlines', LINES],
  // Binary: relayed untouched.
  ['image/png', BINARY],
  ['image/jpeg', BINARY],
  ['audio/mpeg', BINARY],
  ['video/mp4', BINARY],
  ['font/woff2', BINARY],
  ['application/octet-stream', BINARY],
  ['application/zip', BINARY],
  ['application/gzip', BINARY],
  ['application/x-tar', BINARY],
  ['application/pdf', BINARY],
  ['application/wasm', BINARY],
  ['application/x-protobuf', BINARY],
  ['application/grpc', BINARY],
  ['application/grpc+json', BINARY],
  ['application/grpc-web-text', BINARY],
  ['application/vnd.example+zip', BINARY],
  ['multipart/byteranges; boundary=3d6b6a416f9b5', BINARY],
];

describe('bodyKindOf', () => {
  it.each(TYPES)('%j → %j', (contentType, kind) => {
    expect(bodyKindOf(contentType)).toEqual(kind);
  });
});

describe('responseBodyKind over raw header lines', () => {
  it.each([
    { name: 'no Content-Type', raw: ['X-Other', 'image/png'], kind: STREAM },
    { name: 'one binary line, any case', raw: ['content-TYPE', 'image/png'], kind: BINARY },
    { name: 'binary and text lines: scanned (fail closed)', raw: ['Content-Type', 'image/png', 'Content-Type', 'text/plain'], kind: STREAM },
    { name: 'every line binary', raw: ['Content-Type', 'image/png', 'content-type', 'application/pdf'], kind: BINARY },
    { name: 'the first scanned kind wins', raw: ['Content-Type', 'font/woff2', 'Content-Type', 'text/event-stream', 'Content-Type', 'text/plain'], kind: EVENTS },
  ])('$name', ({ raw, kind }) => {
    expect(responseBodyKind(raw)).toEqual(kind);
  });
});

describe('lastEventEnd', () => {
  it.each([
    { bytes: '', from: 0, end: -1 },
    { bytes: 'data: a\n', from: 0, end: -1 },
    { bytes: 'data: a\n\n', from: 0, end: 9 },
    { bytes: 'data: a\r\n\r\n', from: 0, end: 11 },
    { bytes: 'data: a\r\r', from: 0, end: 9 },
    { bytes: 'data: a\n\r\n', from: 0, end: 10 },
    { bytes: 'data: a\r\n\n', from: 0, end: 10 },
    { bytes: 'data: a\n\ndata: b\n\ndata: c', from: 0, end: 18 },
    { bytes: 'a: 1\nb: 2\r\nc: 3\r', from: 0, end: -1 },
    // A CR whose LF has not arrived yet ends an empty line already: cut one byte early (harmless).
    { bytes: 'data: a\r\n\r', from: 0, end: 10 },
    // Only ends after `from` count (what came before was cut in an earlier chunk).
    { bytes: 'data: a\n\nb', from: 9, end: -1 },
    { bytes: 'data: a\n\nb', from: 8, end: 9 },
    // The lookbehind holds the first line break; the chunk starts with the second.
    { bytes: 'a\n' + '\nnext', from: 2, end: 3 },
    { bytes: '\r\n\r' + '\ndata', from: 3, end: 4 },
  ])('$bytes from $from → $end', ({ bytes, from, end }) => {
    expect(lastEventEnd(Buffer.from(bytes), from)).toBe(end);
  });
});

describe('lastLineEnd', () => {
  it.each([
    { bytes: '', from: 0, end: -1 },
    { bytes: '{"a":1}', from: 0, end: -1 },
    { bytes: '{"a":1}\n', from: 0, end: 8 },
    { bytes: '{"a":1}\r\n{"b":2}\n{"c"', from: 0, end: 17 },
    { bytes: '{"a":1}\n{"c"', from: 8, end: -1 },
    { bytes: '{"a":1}\n{"c"', from: 7, end: 8 },
  ])('$bytes from $from → $end', ({ bytes, from, end }) => {
    expect(lastLineEnd(Buffer.from(bytes), from)).toBe(end);
  });
});
