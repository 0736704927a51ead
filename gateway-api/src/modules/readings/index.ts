import { serve } from '../../http/operation.js';
import { defineModule } from '../../platform/module.js';
import { readingIntake, type ReadingIntake } from './intake.js';
import { operations } from './operations.js';

export { evidenceItem, evidenceLimits, envelope, type Envelope, type EvidenceItem } from './envelope.js';
export { readingIntake, type BatchResult, type ItemResult, type ReadingIntake, type ReadingIntakeOptions } from './intake.js';
export { operations as readingOperations } from './operations.js';

declare module '../../platform/module.js' {
  interface ModuleApis {
    readings: ReadingIntake;
  }
}

/**
 * Signed device readings in (POST /v1/evidence): checked one by one, stored as leaves, per-device seq kept; and their
 * numeric values out as downsampled series for charts (GET /v1/devices/{id}/series).
 */
export const readingsModule = defineModule('readings', { migrations: ['013_readings_series'] }, (ctx) => {
  const devices = ctx.use('devices');
  const intake = readingIntake({ db: ctx.db, devices, leaves: ctx.use('leaves'), clock: ctx.clock, ...ctx.config.evidenceWindow });
  return { operations: serve(operations, { intake, db: ctx.db, devices }), api: intake };
});
