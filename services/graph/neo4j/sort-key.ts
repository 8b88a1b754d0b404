/**
 * Strings that Cypher compares with `<`, `>` or ORDER BY are stored as sort keys made only of
 * characters below U+D800. Neo4j 5 does not compare strings the same way everywhere above
 * that: ORDER BY over stored values orders by code point, while `stored > $param` can order
 * by UTF-16 code unit (measured on 5.26: `'！' < '😀'` in ORDER BY, but a page cursor after
 * '！' skipped '😀'). Below U+D800 every one of those orders — code unit, code point, UTF-8
 * byte — is the same, so a sort key compares identically wherever Neo4j compares it.
 *
 * The encoding keeps each symbol below U+D000 as itself, so ordinary text (ASCII, Latin,
 * Cyrillic, CJK, …) is stored unchanged, and writes a symbol from U+D000 up as two
 * characters: a lead in U+D000–U+D10F and a trail in U+0100–U+10FF. Singles sort below every
 * lead and pairs sort by (lead, trail), so the keys sort exactly as the symbol sequences do:
 * - `toIdKey` reads symbols as code points: keys sort in UTF-8 byte order, the order the
 *   GraphStore contract promises for ids;
 * - `toVersionKey` reads symbols as UTF-16 code units: keys sort as JavaScript compares the
 *   originals, the order `mergeStates` uses for versions and tie-breaks.
 */

const SPLIT = 0xd000;
const LEAD_SPAN = 0x1000;
const TRAIL_BASE = 0x100;

function encodeSymbol(symbol: number): string {
  if (symbol < SPLIT) return String.fromCharCode(symbol);
  const offset = symbol - SPLIT;
  return String.fromCharCode(SPLIT + Math.floor(offset / LEAD_SPAN), TRAIL_BASE + (offset % LEAD_SPAN));
}

function needsEncoding(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= SPLIT) return true;
  return false;
}

const LEAD_END = SPLIT + Math.ceil((0x110000 - SPLIT) / LEAD_SPAN);

/** A string that is not a well-formed key (written by something else) is returned as it is. */
function decodeSymbols(key: string, emit: (symbol: number) => string): string {
  if (!needsEncoding(key)) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < SPLIT) {
      out += key[i];
      continue;
    }
    const trail = key.charCodeAt(i + 1) - TRAIL_BASE;
    if (c >= LEAD_END || !(trail >= 0 && trail < LEAD_SPAN)) return key;
    const symbol = SPLIT + (c - SPLIT) * LEAD_SPAN + trail;
    if (symbol > 0x10ffff) return key;
    out += emit(symbol);
    i++;
  }
  return out;
}

/** Sorts in UTF-8 byte order of `id` wherever Neo4j compares it. */
export function toIdKey(id: string): string {
  if (!needsEncoding(id)) return id;
  let out = '';
  for (const char of id) out += encodeSymbol(char.codePointAt(0) as number);
  return out;
}

export function fromIdKey(key: string): string {
  return decodeSymbols(key, (point) => String.fromCodePoint(point));
}

/** Sorts as JavaScript compares `text` (UTF-16 code units) wherever Neo4j compares it. */
export function toVersionKey(text: string): string {
  if (!needsEncoding(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) out += encodeSymbol(text.charCodeAt(i));
  return out;
}

export function fromVersionKey(key: string): string {
  return decodeSymbols(key, (unit) => String.fromCharCode(unit));
}
