/**
 * Compares strings in UTF-8 byte order — the order LMDB keeps keys in and the order the
 * GraphStore contract promises — without encoding them. JS `<` compares UTF-16 code units,
 * which puts astral characters (surrogates, U+D800–DFFF) before U+E000–FFFF; byte order puts them after.
 */
export function compareByteOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    return rank(x) - rank(y);
  }
  return a.length - b.length;
}

function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  // Surrogates encode code points above U+FFFF, so they sort after every other BMP unit.
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}
