/**
 * A seeded pseudo-random generator (sfc32 seeded by a 128-bit string hash, cyrb128): the only source of
 * randomness of the generator, so the same seed always gives the same population. Never Math.random.
 *
 * `fork(label)` derives an independent stream from this stream's seed and a label without consuming
 * anything: adding draws to one part of the generator never shifts another part's stream.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: [value, weight] pairs, weights need not sum to 1. */
  weighted<T>(items: readonly (readonly [T, number])[]): T;
  /** Normal deviate (Box–Muller). */
  normal(mean: number, sd: number): number;
  /** k distinct items, in random order. */
  sample<T>(items: readonly T[], k: number): T[];
  /** A random RFC 4122 version-4-shaped UUID (deterministic). */
  uuid(): string;
  fork(label: string | number): Random;
  readonly seed: string;
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function sfc32(seed: [number, number, number, number]): () => number {
  let [a, b, c, d] = seed;
  return () => {
    a |= 0; b |= 0; c |= 0; d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';

export function createRandom(seed: string | number): Random {
  const seedText = String(seed);
  const next = sfc32(cyrb128(seedText));
  // Discard the first draws: sfc32 needs a few rounds to mix a hashed seed.
  for (let i = 0; i < 12; i++) next();
  let spare: number | undefined;
  const random: Random = {
    seed: seedText,
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return next() < p;
    },
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted(items) {
      let total = 0;
      for (const [, w] of items) total += w;
      let r = next() * total;
      for (const [value, w] of items) {
        r -= w;
        if (r < 0) return value;
      }
      return (items[items.length - 1] as (typeof items)[number])[0];
    },
    normal(mean, sd) {
      if (spare !== undefined) {
        const z = spare;
        spare = undefined;
        return mean + sd * z;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return mean + sd * r * Math.cos(2 * Math.PI * v);
    },
    sample(items, k) {
      const copy = [...items];
      const out: (typeof items)[number][] = [];
      while (out.length < k && copy.length > 0) out.push(copy.splice(Math.floor(next() * copy.length), 1)[0] as (typeof items)[number]);
      return out;
    },
    uuid() {
      let s = '';
      for (let i = 0; i < 32; i++) {
        let nibble = Math.floor(next() * 16);
        if (i === 12) nibble = 4;
        else if (i === 16) nibble = 8 | (nibble & 3);
        s += HEX[nibble];
        if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
      }
      return s;
    },
    fork(label) {
      return createRandom(`${seedText}/${label}`);
    },
  };
  return random;
}
