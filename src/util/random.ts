/**
 * Deterministic seeding. tfjs' seeded ops rebuild their PRNG per call, so one seed reused for two layers
 * or two steps gives identical numbers; every consumer derives its own seed from a base seed plus a path
 * (layer index, step number, ...) through `deriveSeed`.
 * @module
 */

/** Hashes a base seed and a path of numbers/strings into a new 32-bit unsigned seed (FNV-1a + murmur finaliser). */
export function deriveSeed(base: number, ...path: Array<number | string>): number {
  let h = 0x811c9dc5 ^ (base >>> 0);
  const mix = (x: number) => {
    h ^= x & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (x >>> 8) & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (x >>> 16) & 0xff;
    h = Math.imul(h, 0x01000193);
    h ^= (x >>> 24) & 0xff;
    h = Math.imul(h, 0x01000193);
  };
  mix(Math.floor(base / 2 ** 32));
  for (const p of path) {
    if (typeof p === 'number') mix(p | 0);
    else for (let i = 0; i < p.length; i++) mix(p.charCodeAt(i));
    mix(0x9e3779b9);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1). Its state is one integer. */
export class Rng {
  /** Current state; save it to resume the stream exactly. */
  state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Next float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/** A random 32-bit seed for callers that gave none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
