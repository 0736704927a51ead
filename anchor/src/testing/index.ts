/** Helpers for the project's tests and benchmarks: ports (see THE PORT RULE in ports.ts). */
export { ephemeralPortRange, reservePort } from './ports.js';
