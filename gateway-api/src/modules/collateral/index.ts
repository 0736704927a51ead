import { serve } from '../../http/operation.js';
import { startLoop } from '../../platform/loop.js';
import { defineModule } from '../../platform/module.js';
import { announceAppended, onAppended } from '../events/outbox.js';
import { collateral as collateralService } from './collateral.js';
import { escalateDue, markAllIfDue, markNextEvents, raiseStale } from './marking.js';
import { operations } from './operations.js';
import { startPriceFeed } from './puller.js';

export { operations as collateralOperations } from './operations.js';

/** What the collateral module offers the composition root (tests and the demo). */
export interface CollateralApi {
  /**
   * Resolves once marking has applied every ledger event the projection stored before the call, and done the time-due
   * work (deadlines, stale marks, the daily run) as of the clock then.
   */
  settled(timeoutMs?: number): Promise<void>;
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    collateral: CollateralApi;
  }
}

/** The identity the scheduled price feed records marks with (an oracle of the custodian organisation). */
export const oracleSpec = { id: 'service.oracle', org: 'custodian', user: 'price-feed', role: 'oracle' } as const;

/** How many ledger events one marking transaction applies at most. */
const MARKING_BATCH = 500;

/**
 * Collateral value (docs/collateral.md): price marks and loans read from the ledger, marking on every new mark and
 * loan change and once a day, margin calls and stale-mark alarms, the scheduled price feed.
 */
export const collateralModule = defineModule('collateral', { migrations: ['014_collateral_marking'] }, (ctx) => {
  const { db, clock, config, logger } = ctx;
  const service = collateralService(db, ctx.registry, config.collateral, () => clock.now());
  const feed = startPriceFeed({ config: config.collateral, collateral: service, oracle: () => ctx.serviceIdentity(oracleSpec), clock, logger });
  const settledWaiters = new Map<() => void, number>();
  let steps = 0;
  const loop = startLoop({
    name: 'marking',
    clock,
    idleMs: config.collateral.pollMs,
    backoff: { initialMs: 500, maxMs: 30_000 },
    onError: (error, failure) => logger.error({ err: error, ...failure }, 'marking failed; retrying'),
    step: async () => {
      const number = ++steps;
      const applied = await db.transaction((tx) => markNextEvents(tx, MARKING_BATCH));
      // Readers woken while the transaction ran may have looked before its commit: tell them again. Only after a
      // change: the bell wakes this loop too, and an announcement after every step would keep it spinning.
      if (applied.events > 0) {
        announceAppended();
        return 'more';
      }
      const now = clock.now();
      const changed = await db.transaction(async (tx) => (await escalateDue(tx, now)) + (await raiseStale(tx, config.collateral, now)) + (await markAllIfDue(tx, now, config.collateral.dailyMs)));
      if (changed > 0) announceAppended();
      for (const [done, from] of settledWaiters) if (number >= from) done();
      return 'idle';
    },
  });
  const unsubscribe = onAppended(() => loop.wake());
  return {
    operations: serve(operations, { db, registry: ctx.registry, collateral: service, feed }),
    api: {
      settled: (timeoutMs = 30_000) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            settledWaiters.delete(done);
            reject(new Error(`marking did not settle within ${timeoutMs.toString()} ms`));
          }, timeoutMs);
          const done = (): void => {
            clearTimeout(timer);
            settledWaiters.delete(done);
            resolve();
          };
          settledWaiters.set(done, steps + 1);
          loop.wake();
        }),
    },
    health: () => Promise.resolve({ marking: { status: loop.status().state === 'failing' ? 'degraded' : 'up', state: loop.status().state } }),
    stop: async () => {
      unsubscribe();
      await feed.stop();
      await loop.stop();
    },
  };
});
