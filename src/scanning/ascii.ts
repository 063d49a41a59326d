/**
 * Character-class checks written as loops, for code that inspects secret values: secret-bearing input is
 * never handed to the backtracking JS RegExp engine (RE2 does the matching; these only confirm shapes).
 */

export const isDigit = (code: number): boolean => code >= 0x30 && code <= 0x39;
export const isUpper = (code: number): boolean => code >= 0x41 && code <= 0x5a;
export const isLower = (code: number): boolean => code >= 0x61 && code <= 0x7a;
export const isAlphanumeric = (code: number): boolean => isDigit(code) || isUpper(code) || isLower(code);
export const isBase64UrlChar = (code: number): boolean => isAlphanumeric(code) || code === 0x2d || code === 0x5f;

export function everyChar(value: string, test: (code: number) => boolean): boolean {
  for (let i = 0; i < value.length; i++) if (!test(value.charCodeAt(i))) return false;
  return true;
}

/** `value` is non-empty and every character passes `test`. */
export function nonEmptyOf(value: string, test: (code: number) => boolean): boolean {
  return value.length > 0 && everyChar(value, test);
}
