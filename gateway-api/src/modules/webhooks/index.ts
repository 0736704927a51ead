import { hostname } from 'node:os';
import { serve } from '../../http/operation.js';
import { startLoop, type LoopLease, type LoopStatus } from '../../platform/loop.js';
import { defineModule, type GatewayModule } from '../../platform/module.js';
import { headPosition, onAppended } from '../events/index.js';
import { poster } from './attempt.js';
import { operations } from './operations.js';
import { startSender } from './sender.js';
import { webhookStore, type WebhookStore } from './store.js';
import { systemResolve, type ResolveHost } from './target.js';
import { webhookServices } from './webhooks.js';

export { forbiddenAddress, systemResolve, type ResolveHost } from './target.js';
export { newSecret, signature, webhookHeaders } from './signing.js';
export { retryDelay, afterAttempt, type RetryPolicy } from './sender.js';
export { operations as webhookOperations, webhookManagers } from './operations.js';

/** What the webhooks module offers (tests and the benchmark read its loops). */
export interface WebhooksApi {
  /** The dispatcher's and the sender's loops. */
  status(): { readonly dispatcher: LoopStatus; readonly sender: LoopStatus; readonly inFlight: number };
}

declare module '../../platform/module.js' {
  interface ModuleApis {
    webhooks: WebhooksApi;
  }
}

export interface WebhooksOptions {
  /** How target hosts are resolved, at creation and at every attempt. Default: dns.lookup (every address). */
  readonly resolveHost?: ResolveHost;
}

/** Events the dispatcher fans out per transaction. */
const DISPATCH_BATCH = 500;
/** Deliveries made between two refreshes of the table's planner statistics (see WebhookStore.analyze). */
const ANALYZE_EVERY = 2_000;
/** How long the webhooks lease runs unless renewed. */
const LEASE_MS = 30_000;

/**
 * A lease shared by the dispatcher and the sender, renewed in the database only once a third of it has run: both
 * loops ask before every step, and on PGlite's one connection a query per step would cost the sender its rate.
 */
function sharedLease(store: WebhookStore, holder: string, now: () => number): LoopLease {
  let heldUntil = 0;
  let renewing: Promise<boolean> | undefined;
  return {
    retryMs: LEASE_MS / 3,
    acquire() {
      if (now() < heldUntil - (LEASE_MS * 2) / 3) return Promise.resolve(true);
      renewing ??= (async () => {
        const asked = now();
        try {
          const held = await store.lease(holder, LEASE_MS);
          heldUntil = held ? asked + LEASE_MS : 0;
          return held;
        } finally {
          renewing = undefined;
        }
      })();
      return renewing;
    },
    async release() {
      if (heldUntil === 0) return;
      heldUntil = 0;
      await store.release(holder);
    },
  };
}

/** The webhooks module with its resolver (tests put a stand-in for DNS). */
export function webhooksModuleWith(options: WebhooksOptions = {}): GatewayModule<'webhooks'> {
  const resolveHost = options.resolveHost ?? systemResolve;
  return defineModule('webhooks', { migrations: ['012_webhooks_subscriptions'] }, async (ctx) => {
    const config = ctx.config.webhooks;
    // It reads the outbox the events module owns; listing it earlier is a wiring bug, and this says so.
    ctx.use('events');
    const store = webhookStore(ctx.db);
    await store.initCursor(await headPosition(ctx.db));
    // Stable across restarts of this gateway, so that after a crash it takes its lease back at once.
    const lease = sharedLease(store, `${hostname()}:${ctx.config.dataDir}`, () => ctx.clock.now().getTime());
    const sender = startSender({
      store,
      poster: poster({ resolveHost, allowPrivate: config.allowPrivate, timeoutMs: config.timeoutMs, maxSockets: config.concurrency, userAgent: 'wr-registry-webhooks/1.0' }),
      clock: ctx.clock,
      logger: ctx.logger,
      lease,
      policy: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs, windowMs: config.retryWindowMs },
      concurrency: config.concurrency,
      pollMs: Math.min(250, config.retryBaseMs),
    });
    await store.analyze();
    let insertedSinceAnalyze = 0;
    const dispatcher = startLoop({
      name: 'webhook-dispatcher',
      clock: ctx.clock,
      idleMs: ctx.config.events.pollMs,
      backoff: { initialMs: 250, maxMs: 10_000 },
      lease,
      onError: (error, failure) => ctx.logger.error({ err: error, ...failure }, 'webhook dispatch failed; retrying'),
      step: async () => {
        const { events, deliveries } = await store.dispatch(DISPATCH_BATCH, ctx.clock.now());
        if (deliveries > 0) sender.loop.wake();
        insertedSinceAnalyze += deliveries;
        if (insertedSinceAnalyze >= ANALYZE_EVERY) {
          insertedSinceAnalyze = 0;
          await store.analyze();
        }
        return events === DISPATCH_BATCH ? 'more' : 'idle';
      },
    });
    const unsubscribe = onAppended(() => dispatcher.wake());
    const services = webhookServices({ db: ctx.db, store, clock: ctx.clock, resolveHost, allowPrivate: config.allowPrivate, onQueued: () => sender.loop.wake() });
    const status = () => ({ dispatcher: dispatcher.status(), sender: sender.loop.status(), inFlight: sender.inFlight() });
    return {
      operations: serve(operations, services),
      api: { status },
      async health() {
        const { dispatcher: d, sender: s, inFlight } = status();
        const counts = await store.counts().catch(() => undefined);
        const failing = d.state === 'failing' || s.state === 'failing' || counts === undefined;
        return {
          webhooks: {
            status: failing ? 'degraded' : 'up',
            dispatcher: d.state,
            sender: s.state,
            lastError: d.lastError ?? s.lastError ?? null,
            inFlight,
            pending: counts?.pending ?? null,
            dead: counts?.dead ?? null,
            allowPrivate: config.allowPrivate,
          },
        };
      },
      async stop() {
        unsubscribe();
        await dispatcher.stop();
        await sender.stop();
        await lease.release().catch((error: unknown) => ctx.logger.warn({ err: error }, 'webhooks lease not released; it runs out on its own'));
      },
    };
  });
}

/** Signed webhooks: subscriptions per party, durable fan-out of the outbox, ordered retried delivery (docs/webhooks.md). */
export const webhooksModule = webhooksModuleWith();
