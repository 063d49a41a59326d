/**
 * Which request bodies are text worth scanning and which are binary, by Content-Type: the same table
 * the response side uses (body-kind.ts), so both directions agree on what "binary" means.
 */
import { bodyKindOf } from './body-kind.js';

export type ContentKind = 'text' | 'binary';

export function contentKind(contentType: string | undefined): ContentKind {
  return bodyKindOf(contentType).scan ? 'text' : 'binary';
}
