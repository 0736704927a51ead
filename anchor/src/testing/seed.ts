/*
 * Seeds of randomised tests. Every randomised test draws from prng(testSeed()) (mixing in a constant of its own where
 * it needs a second stream) and names the seed in its title with replayHint(seed), so that a failure prints it and
 * `TEST_SEED=<seed> npm test` (or test:soak) replays the same draws. Without TEST_SEED each run of the test process
 * takes a fresh seed, the same for every test in it.
 */

/** A seeded pseudo-random generator (mulberry32); its functions need no `this`, so they may be passed around. */
export interface Prng {
  /** A float in [0, 1). */
  readonly next: () => number;
  /** An integer in [0, bound). */
  readonly int: (bound: number) => number;
  /** An integer in [min, max]. */
  readonly between: (min: number, max: number) => number;
  readonly bytes: (length: number) => Buffer;
}

let runSeed: number | undefined;

/** The environment's TEST_SEED when set (a 32-bit unsigned integer), otherwise this process's random seed. */
export function testSeed(): number {
  if (runSeed !== undefined) return runSeed;
  const given = process.env.TEST_SEED;
  if (given !== undefined && given !== '') {
    const value = Number(given);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** 32) throw new Error(`TEST_SEED must be an integer in 0..2^32-1, not ${given}`);
    return (runSeed = value);
  }
  return (runSeed = Math.floor(Math.random() * 2 ** 32));
}

/** For test titles: `seed 123, TEST_SEED=123 replays`. */
export function replayHint(seed: number): string {
  return `seed ${String(seed)}, TEST_SEED=${String(seed)} replays`;
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
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    bytes: (length) => Buffer.from(Array.from({ length }, () => int(256))),
  };
}
