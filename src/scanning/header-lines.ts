/**
 * A request's header values (or names) as text, a line each, for one scan over all of them, and a cheaper
 * test for the headers left unscanned.
 */

export interface HeaderLines {
  readonly text: string;
  /** Where each header's line starts in `text`, in header order. */
  readonly starts: readonly number[];
}

/**
 * rawHeaders[first], rawHeaders[first + 2], …, each followed by `\n`. A line whose header's name `blank`
 * accepts is written as spaces of its length, so every offset still maps to its header.
 */
export function headerLines(rawHeaders: readonly string[], first: 0 | 1, blank?: (name: string) => boolean): HeaderLines {
  const starts: number[] = [];
  let text = '';
  for (let i = first; i < rawHeaders.length; i += 2) {
    starts.push(text.length);
    const line = rawHeaders[i]!;
    text += blank?.(rawHeaders[i - first]!) === true ? `${' '.repeat(line.length)}\n` : `${line}\n`;
  }
  return { text, starts };
}

/**
 * `names.has(name.toLowerCase())` for header names, without lower-casing the many names whose first or
 * last character no entry has (a request carries a dozen headers; the set lists a score of credential
 * headers). Exact: for an ASCII character `c`, the lower-case form of a string starts (ends) with
 * lower(c), whose low five bits are those of `c` in either case; a name starting or ending with any other
 * character is looked up as before.
 */
export function lowerCaseMember(names: ReadonlySet<string>): (name: string) => boolean {
  let firsts = 0;
  let lasts = 0;
  for (const entry of names) {
    if (entry.length === 0) continue;
    firsts |= 1 << (entry.charCodeAt(0) & 31);
    lasts |= 1 << (entry.charCodeAt(entry.length - 1) & 31);
  }
  return (name) => {
    if (name.length > 0 && (absent(firsts, name.charCodeAt(0)) || absent(lasts, name.charCodeAt(name.length - 1)))) return false;
    return names.has(name.toLowerCase());
  };
}

/** An ASCII character whose low five bits no entry has at that end. */
function absent(mask: number, char: number): boolean {
  return char < 0x80 && ((mask >>> (char & 31)) & 1) === 0;
}
