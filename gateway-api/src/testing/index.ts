/** Helpers for the project's tests and benchmarks. */
export { freePort } from './net.js';
export { refusal, rejection } from './refusal.js';
export { ManualClock, type PendingSleep } from './manual-clock.js';
