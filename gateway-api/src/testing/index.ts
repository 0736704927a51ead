/** Helpers for the project's tests and benchmarks. */
export { freePort } from './net.js';
export { refusal, rejection } from './refusal.js';
