/**
 * A small seeded PRNG (mulberry32) so fault modes driven by a rate (`failRate`, `rate429`) are
 * reproducible in tests when `seed` is set.
 */
export type Random = () => number;

export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded when a seed is given, else seeded from Math.random (still one code path). */
export function makeRandom(seed: number | null): Random {
  return mulberry32(seed ?? Math.floor(Math.random() * 2 ** 32));
}
