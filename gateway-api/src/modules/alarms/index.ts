import type { Queryable } from '../../db/database.js';
import { serve } from '../../http/operation.js';
import { startLoop } from '../../platform/loop.js';
import { defineModule } from '../../platform/module.js';
import { alarms as alarmService, owesLedger, type Alarms } from './alarms.js';
import { covenantStep } from './covenants.js';
import { operations } from './operations.js';
import type { AlarmChange, AlarmRecord } from '../rules/engine/index.js';

export { ALARM_BUNDLE_FORMAT, evidenceRootOf, type AlarmBundle, type AlarmView } from './alarms.js';
export { riskEventIdOf, riskKindOf, stockCountReferenceOf } from './covenants.js';
export { operations as alarmOperations } from './operations.js';

/** What the alarms module offers the rules module, which feeds it. */
export interface AlarmsApi {
  /** Records the engine's changes in the evaluation loop's transaction. */
  record(tx: Queryable, changes: readonly AlarmChange[], leafCursor: number): Promise<void>;
  /**
   * Told once the transaction that recorded `changes` has committed: wakes the covenant worker when they owe the
   * ledger an action (woken before the commit, on PostgreSQL it would find nothing pending and sleep its idle 5 s).
   */
  committed(changes: readonly AlarmChange[]): void;
  readonly alarms: Alarms;
  /** Resolves once every ledger action owed so far is done (for tests and the demo). */
  settled(timeoutMs?: number): Promise<void>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    alarms: AlarmsApi;
  }
}

/** The identity the alarms module records risk events and stock counts with (the device gateway's transactions). */
export const supervisionSpec = { id: 'service.supervision', org: 'custodian', user: 'supervision', role: 'device-gateway' } as const;

/** The measured quantity a stock-reconciliation alarm recorded: the lowest weight of the episode. */
const measuredOf = (alarm: AlarmRecord): string => {
  const measured = alarm.stats.min;
  if (measured === null || !Number.isFinite(measured)) throw new Error(`alarm ${alarm.id} has no measured quantity`);
  return Math.max(0, measured).toFixed(6).replace(/\.?0+$/, '');
};

/**
 * Alarms: one per episode the engine raised, what people did with them (acknowledgement, shelving), their court bundle,
 * and the covenant worker that records major ones on the ledger.
 */
export const alarmsModule = defineModule('alarms', { migrations: ['010_alarms_episodes'] }, async (ctx) => {
  const identity = await ctx.serviceIdentity(supervisionSpec);
  const anchoring = ctx.use('anchoring');
  const workOrders = ctx.use('work-orders');
  const service = alarmService({
    db: ctx.db,
    clock: ctx.clock,
    evidenceBundle: (evidenceId) => anchoring.bundle(evidenceId),
    raiseWorkOrder: async (tx, order) => {
      await workOrders.raiseForAlarm(tx, order, { submittedBy: supervisionSpec.id });
    },
  });
  const step = covenantStep({ db: ctx.db, registry: ctx.registry, identity: () => Promise.resolve(identity), clock: ctx.clock, logger: ctx.logger, measuredOf });
  /** Each waiter, with the number of the first step that started after it was added. */
  const settledWaiters = new Map<() => void, number>();
  let steps = 0;
  const loop = startLoop({
    name: 'covenants',
    clock: ctx.clock,
    step: async () => {
      const number = ++steps;
      const outcome = await step();
      if (outcome === 'idle') for (const [done, from] of settledWaiters) if (number >= from) done();
      return outcome;
    },
    idleMs: 5_000,
    backoff: { initialMs: 500, maxMs: 30_000 },
    onError: (error, failure) => ctx.logger.error({ err: error, ...failure }, 'recording alarms on the ledger failed; retrying'),
  });
  return {
    operations: serve(operations, service),
    api: {
      record: (tx, changes, cursor) => service.record(tx, changes, cursor),
      committed(changes) {
        if (changes.some(owesLedger)) loop.wake();
      },
      alarms: service,
      settled: (timeoutMs = 30_000) =>
        new Promise<void>((resolve, reject) => {
          const done = (): void => {
            clearTimeout(timer);
            settledWaiters.delete(done);
            resolve();
          };
          const timer = setTimeout(() => {
            settledWaiters.delete(done);
            reject(new Error(`alarm ledger actions not settled within ${timeoutMs.toString()} ms`));
          }, timeoutMs);
          settledWaiters.set(done, steps + 1);
          loop.wake();
        }),
    },
    health: () => {
      const status = loop.status();
      return Promise.resolve({ covenants: { status: status.state === 'failing' ? 'degraded' : 'up', state: status.state, ...(status.lastError ? { error: status.lastError } : {}) } });
    },
    stop: () => loop.stop(),
  };
});
