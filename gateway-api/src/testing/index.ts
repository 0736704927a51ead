/** Helpers for the project's tests and benchmarks. */
export { freePort } from './net.js';
export { refusal } from './refusal.js';
