/**
 * Orders state keys as Fabric's LevelDB state database does: by their UTF-8 bytes, which is Unicode code point
 * order. JavaScript's `<` compares UTF-16 code units instead, and the two disagree exactly when a surrogate
 * (U+D800-U+DFFF, half of a code point above U+FFFF) meets a code unit in U+E000-U+FFFF. Composite-key range ends
 * use U+10FFFF, so the difference is not academic.
 */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000-U+FFFF so that code-unit comparison gives code point order. */
function codeUnitRank(unit: number): number {
  if (unit < 0xd800) return unit;
  if (unit <= 0xdfff) return unit + 0x2000; // surrogates: U+D800-U+DFFF -> above U+FFFF
  return unit - 0x800; // U+E000-U+FFFF -> U+D800-U+F7FF
}
