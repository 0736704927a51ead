import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/database.js';
import type { Clock } from '../../platform/clock.js';
import type { WriteContext } from '../../platform/write.js';
import { EvidenceError } from '../errors.js';
import type { Party } from '../events/index.js';
import { newSecret } from './signing.js';
import type { Delivery, DeliveryStatus, Subscription, SubscriptionStatus, WebhookStore } from './store.js';
import { checkedAddresses, TargetForbidden, type ResolveHost } from './target.js';

/** Most subscriptions one party may have (each multiplies every event it sees into a delivery). */
export const MAX_SUBSCRIPTIONS_PER_PARTY = 50;

export interface WebhookServicesOptions {
  readonly db: Database;
  readonly store: WebhookStore;
  readonly clock: Clock;
  readonly resolveHost: ResolveHost;
  readonly allowPrivate: boolean;
  /** Told when deliveries may have become due (a resume, a redelivery): wakes the sender. */
  readonly onQueued: () => void;
}

export interface NewSubscriptionInput {
  readonly url: string;
  readonly types?: readonly string[] | undefined;
  readonly description?: string | undefined;
}

/** The webhook use cases, each for one party: another party's subscription does not exist for it. */
export function webhookServices(options: WebhookServicesOptions) {
  const { db, store, clock } = options;

  const owned = async (party: Party, id: string, tx?: Parameters<WebhookStore['subscription']>[2]): Promise<Subscription> => {
    const found = await store.subscription(party, id, tx);
    if (found === undefined) throw new EvidenceError('WEBHOOK_NOT_FOUND', `no webhook subscription ${id} of ${party}`);
    return found;
  };

  const setStatus = (party: Party, id: string, status: SubscriptionStatus, write: WriteContext): Promise<Subscription> =>
    db.transaction(async (tx) => {
      const subscription = await owned(party, id, tx);
      const changed = subscription.status === status ? subscription : await store.setStatus(tx, id, status, clock.now());
      await write.record(tx);
      return changed;
    });

  return {
    /** Creates a subscription for `party` after checking its target; the secret is in the answer, and only there. */
    async create(party: Party, input: NewSubscriptionInput, write: WriteContext): Promise<{ subscription: Subscription; secret: string }> {
      try {
        await checkedAddresses(new URL(input.url), options.resolveHost, options.allowPrivate);
      } catch (error) {
        if (error instanceof TargetForbidden) throw new EvidenceError('WEBHOOK_TARGET_FORBIDDEN', `url: ${error.message}`);
        throw error;
      }
      const secret = newSecret();
      const subscription = await db.transaction(async (tx) => {
        if ((await store.countSubscriptions(tx, party)) >= MAX_SUBSCRIPTIONS_PER_PARTY) {
          throw new EvidenceError('WEBHOOK_LIMIT_REACHED', `${party} has ${MAX_SUBSCRIPTIONS_PER_PARTY.toString()} webhook subscriptions already; delete one first`);
        }
        const created = await store.createSubscription(tx, {
          id: `wh_${randomBytes(12).toString('hex')}`,
          party,
          url: input.url,
          types: input.types === undefined ? undefined : [...new Set(input.types)],
          description: input.description,
          secret,
          createdBy: write.submittedBy,
          now: clock.now(),
        });
        await write.record(tx);
        return created;
      });
      return { subscription, secret };
    },

    list: (party: Party): Promise<Subscription[]> => store.subscriptions(party),

    get: (party: Party, id: string): Promise<Subscription> => owned(party, id),

    /** Pausing keeps new deliveries queued (pending, not attempted) until the subscription is resumed. */
    pause: (party: Party, id: string, write: WriteContext) => setStatus(party, id, 'paused', write),

    async resume(party: Party, id: string, write: WriteContext): Promise<Subscription> {
      const resumed = await setStatus(party, id, 'active', write);
      options.onQueued();
      return resumed;
    },

    /** Deletes the subscription: nothing more is delivered to it, its queued deliveries and their log are dropped. */
    async remove(party: Party, id: string, write: WriteContext): Promise<void> {
      await db.transaction(async (tx) => {
        await owned(party, id, tx);
        await store.deleteSubscription(tx, id, clock.now());
        await write.record(tx);
      });
    },

    async deliveries(party: Party, id: string, filter: { readonly status?: DeliveryStatus | undefined; readonly after?: string | undefined; readonly limit: number }): Promise<Delivery[]> {
      await owned(party, id);
      return store.deliveries(id, filter);
    },

    async delivery(party: Party, id: string, deliveryId: string): Promise<Delivery> {
      await owned(party, id);
      const found = await store.delivery(id, deliveryId);
      if (found === undefined) throw new EvidenceError('WEBHOOK_DELIVERY_NOT_FOUND', `no delivery ${deliveryId} of webhook subscription ${id}`);
      return found;
    },

    /** Queues a delivery again now (delivered, dead or pending alike), with the same webhook-id. */
    async redeliver(party: Party, id: string, deliveryId: string, write: WriteContext): Promise<Delivery> {
      const queued = await db.transaction(async (tx) => {
        await owned(party, id, tx);
        if (!(await store.requeue(tx, id, deliveryId, clock.now()))) {
          throw new EvidenceError('WEBHOOK_DELIVERY_NOT_FOUND', `no delivery ${deliveryId} of webhook subscription ${id}`);
        }
        await write.record(tx);
        const found = await store.delivery(id, deliveryId, tx);
        if (found === undefined) throw new Error(`delivery ${deliveryId} vanished in its own transaction`);
        return found;
      });
      options.onQueued();
      return queued;
    },
  };
}

export type WebhookServices = ReturnType<typeof webhookServices>;
