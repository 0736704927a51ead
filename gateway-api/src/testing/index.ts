/** Helpers for the project's tests and benchmarks. */
export { reservePort } from '@wr/anchor/testing';
export { refusal, rejection } from './refusal.js';
export { ManualClock, type PendingSleep } from './manual-clock.js';
export { openDatabase, type Database } from '../db/database.js';
export { markLoans, markNextEvents } from '../modules/collateral/marking.js';
