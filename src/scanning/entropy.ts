/** Shannon entropy in bits per character: how random a candidate looks (`aaaa` 0, hex ~4, base62 ~5.95 max). */

export function shannonEntropy(value: Buffer): number {
  if (value.length === 0) return 0;
  // Secrets are ASCII in practice: count bytes without decoding. Anything else is counted per code point,
  // so a multi-byte character counts once, as the catalogue's examples checker does.
  return isAscii(value) ? byteEntropy(value) : codePointEntropy(value.toString('utf8'));
}

function isAscii(value: Buffer): boolean {
  for (const byte of value) if (byte >= 0x80) return false;
  return true;
}

function byteEntropy(value: Buffer): number {
  const counts = new Uint32Array(128);
  for (const byte of value) counts[byte]! += 1;
  return entropyOf(counts, value.length);
}

function codePointEntropy(text: string): number {
  const counts = new Map<string, number>();
  let total = 0;
  for (const char of text) {
    counts.set(char, (counts.get(char) ?? 0) + 1);
    total += 1;
  }
  return entropyOf(counts.values(), total);
}

function entropyOf(counts: Iterable<number>, total: number): number {
  let bits = 0;
  for (const count of counts) {
    if (count === 0) continue;
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits;
}
