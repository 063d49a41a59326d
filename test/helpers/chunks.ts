/** Cutting a byte stream into pieces at chosen offsets, the way TCP or a parser's reader might see it. */

/** `buffer` cut at each offset (taken modulo length + 1, deduplicated, sorted); empty pieces are dropped. */
export function splitAt(buffer: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of [...points, buffer.length]) {
    if (point > from) chunks.push(buffer.subarray(from, point));
    from = Math.max(from, point);
  }
  return chunks;
}
