/** A seeded PRNG (mulberry32) so that a failing property test reproduces from the seed in its title. */
export interface Prng {
  /** An integer in [0, bound). */
  int(bound: number): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  bytes(length: number): Buffer;
}

/** The seed to use: PROPERTY_SEED when set (to replay a failure), otherwise a fresh one. */
export function propertySeed(): number {
  const fromEnv = process.env.PROPERTY_SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : Math.floor(Math.random() * 2 ** 32);
}

export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (bound: number): number => Math.floor(next() * bound);
  return {
    int,
    between: (min, max) => min + int(max - min + 1),
    bytes: (length) => Buffer.from(Array.from({ length }, () => int(256))),
  };
}
