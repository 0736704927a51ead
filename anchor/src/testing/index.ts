/** Helpers for the project's tests and benchmarks: ports (see THE PORT RULE in ports.ts) and replayable seeds. */
export { ephemeralPortRange, reservePort } from './ports.js';
export { prng, replayHint, testSeed, type Prng } from './seed.js';
