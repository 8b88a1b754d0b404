/**
 * Versions and tie-break keys are compared inside Cypher, which orders strings by code
 * point, while `mergeStates` compares them in JavaScript, by UTF-16 code unit. The two
 * orders differ only when a string holds a character above U+FFFF (a surrogate pair) and
 * another holds one in U+E000–U+FFFF at the same position. `toSortKey` maps each UTF-16
 * code unit to a code point in a way that keeps their order and never yields a surrogate,
 * so code-point order of the keys is exactly JavaScript order of the originals. ASCII (every
 * version `makeVersion` produces from ASCII inputs) maps to itself.
 */

const SURROGATE_START = 0xd800;
/** Code units from U+D800 up move past the surrogate block: U+D800 → U+E000 … U+FFFF → U+107FF. */
const SHIFT = 0x800;

export function toSortKey(text: string): string {
  let needsMapping = false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= SURROGATE_START) {
      needsMapping = true;
      break;
    }
  }
  if (!needsMapping) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    out += unit < SURROGATE_START ? text[i] : String.fromCodePoint(unit + SHIFT);
  }
  return out;
}

export function fromSortKey(key: string): string {
  let needsMapping = false;
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) >= SURROGATE_START) {
      needsMapping = true;
      break;
    }
  }
  if (!needsMapping) return key;
  let out = '';
  for (const char of key) {
    const point = char.codePointAt(0) as number;
    out += point < SURROGATE_START ? char : String.fromCharCode(point - SHIFT);
  }
  return out;
}
