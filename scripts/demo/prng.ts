/**
 * A small seeded PRNG. The demo derives every random choice from `hash32(seed, …)`
 * so a customer's profile is a pure function of (seed, index): the generator can
 * recompute it on demand instead of keeping a million profiles in memory.
 */

/** Mixes 32-bit integers into one well-spread 32-bit value (murmur3 finalizer per part). */
export function hash32(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    let k = Math.imul(part | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    // Parts above 2^32 (epoch ms) would lose their high bits in `| 0`: mix them in too.
    if (part > 0xffffffff || part < -0x80000000) h ^= Math.floor(part / 0x100000000) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Float in [min, max). */
  range(min: number, max: number): number;
  /** Integer in [min, max]. */
  between(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** Poisson-distributed count (normal approximation for large means). */
  poisson(mean: number): number;
  hex(length: number): string;
  /** A version-4 UUID built from this generator (deterministic, not cryptographic). */
  uuid(): string;
}

/**
 * mulberry32: tiny state, fast, good enough for synthetic data. A class rather
 * than closures: the generator creates one per customer and report, and
 * per-instance closures cost more than the numbers they produce.
 */
class Mulberry32 implements Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  range(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(probability: number): boolean {
    return this.next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, weight] of items) total += weight;
    let roll = this.next() * total;
    for (const [item, weight] of items) {
      roll -= weight;
      if (roll < 0) return item;
    }
    return items[items.length - 1][0];
  }
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) {
      // Box–Muller normal approximation: Knuth's product method is O(mean).
      const u = Math.max(this.next(), 1e-12);
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
      return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
    }
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += HEX4[this.int(0x10000)];
    return out.length === length ? out : out.slice(0, length);
  }
  uuid(): string {
    const h = this.hex(32);
    const variant = VARIANT[this.int(4)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
}

const HEX4: readonly string[] = Array.from({ length: 0x10000 }, (_, i) => i.toString(16).padStart(4, '0'));
const VARIANT = ['8', '9', 'a', 'b'] as const;

export function createPrng(seed: number): Prng {
  return new Mulberry32(seed);
}
