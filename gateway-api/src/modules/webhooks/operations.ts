import type { Allowed } from '@wr/chaincode/roles';
import { z } from 'zod';
import type { Caller } from '../../http/auth.js';
import { defineOperation } from '../../http/operation.js';
import { ApiError } from '../../http/problem.js';
import { viewerOf } from '../access.js';
import { partyOf, type Party } from '../events/index.js';
import * as schemas from './schemas.js';
import type { Delivery, Subscription } from './store.js';
import type { WebhookServices } from './webhooks.js';

const operation = defineOperation<WebhookServices>();

/** Who manages a party's webhooks: its supervisors, checkers and auditors, and each receipt owner its own (not clerks, not devices). */
export const webhookManagers: readonly Allowed[] = [
  { org: 'custodian', roles: ['supervisor', 'auditor'] },
  { org: 'lender', roles: ['officer', 'approver', 'auditor'] },
  { org: 'borrower', roles: ['owner', 'auditor'] },
];

const who = 'custodian supervisor/auditor, lender officer/approver/auditor, borrower owner/auditor; each sees only its party’s subscriptions';

function partyOfCaller(caller: Caller): Party {
  const party = partyOf(viewerOf(caller));
  if (party === undefined) throw new ApiError(403, 'FORBIDDEN', 'this identity is no party to the registry');
  return party;
}

export const subscriptionView = (subscription: Subscription): z.infer<typeof schemas.subscription> => ({
  id: subscription.id,
  url: subscription.url,
  types: subscription.types === undefined ? null : [...subscription.types],
  description: subscription.description ?? null,
  status: subscription.status,
  party: subscription.party,
  createdBy: subscription.createdBy,
  createdAt: subscription.createdAt.toISOString(),
  updatedAt: subscription.updatedAt.toISOString(),
});

export const deliveryView = (delivery: Delivery): z.infer<typeof schemas.delivery> => ({
  id: delivery.id,
  eventId: delivery.eventId,
  eventType: delivery.eventType,
  object: { ...delivery.object },
  status: delivery.status,
  nextAttemptAt: delivery.nextAttemptAt?.toISOString() ?? null,
  deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
  createdAt: delivery.createdAt.toISOString(),
  attempts: delivery.attempts.map((attempt) => ({ ...attempt, at: attempt.at.toISOString() })),
});

const deletion = z.object({ id: z.string(), deleted: z.literal(true) }).openapi('WebhookDeletion', { example: { id: 'wh_3f9a1c0d2b7e4a5f6c8d9e0a', deleted: true } });

export const operations = [
  operation({
    operationId: 'createWebhook',
    method: 'post',
    path: '/v1/webhooks',
    summary:
      "Subscribe a URL to the events the caller's party may see (signed, Standard Webhooks); the answer holds the signing secret, shown this once",
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    body: schemas.subscriptionBody,
    response: schemas.createdSubscription,
    audit: 'CreateWebhook',
    successStatus: 201,
    run: async ({ body, caller, write }, webhooks) => {
      const { subscription, secret } = await webhooks.create(partyOfCaller(caller), body, write);
      return { data: { ...subscriptionView(subscription), secret } };
    },
  }),
  operation({
    operationId: 'listWebhooks',
    method: 'get',
    path: '/v1/webhooks',
    summary: "The caller's party's webhook subscriptions (without their secrets)",
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    response: schemas.subscriptionList,
    successStatus: 200,
    run: async ({ caller }, webhooks) => ({ data: (await webhooks.list(partyOfCaller(caller))).map(subscriptionView) }),
  }),
  operation({
    operationId: 'getWebhook',
    method: 'get',
    path: '/v1/webhooks/{id}',
    summary: 'A webhook subscription of the caller’s party',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.subscriptionParams,
    response: schemas.subscription,
    successStatus: 200,
    run: async ({ params, caller }, webhooks) => ({ data: subscriptionView(await webhooks.get(partyOfCaller(caller), params.id)) }),
  }),
  operation({
    operationId: 'pauseWebhook',
    method: 'post',
    path: '/v1/webhooks/{id}/pause',
    summary: 'Pause a subscription: its deliveries are queued, not attempted, until it is resumed',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.subscriptionParams,
    response: schemas.subscription,
    audit: 'PauseWebhook',
    successStatus: 200,
    run: async ({ params, caller, write }, webhooks) => ({ data: subscriptionView(await webhooks.pause(partyOfCaller(caller), params.id, write)) }),
  }),
  operation({
    operationId: 'resumeWebhook',
    method: 'post',
    path: '/v1/webhooks/{id}/resume',
    summary: 'Resume a paused subscription: what was queued meanwhile is sent, in order',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.subscriptionParams,
    response: schemas.subscription,
    audit: 'ResumeWebhook',
    successStatus: 200,
    run: async ({ params, caller, write }, webhooks) => ({ data: subscriptionView(await webhooks.resume(partyOfCaller(caller), params.id, write)) }),
  }),
  operation({
    operationId: 'deleteWebhook',
    method: 'delete',
    path: '/v1/webhooks/{id}',
    summary: 'Delete a subscription: nothing more is sent to it; its queued deliveries and their log are dropped',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.subscriptionParams,
    response: deletion,
    audit: 'DeleteWebhook',
    successStatus: 200,
    run: async ({ params, caller, write }, webhooks) => {
      await webhooks.remove(partyOfCaller(caller), params.id, write);
      return { data: { id: params.id, deleted: true as const } };
    },
  }),
  operation({
    operationId: 'listWebhookDeliveries',
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries',
    summary: 'The delivery log of a subscription, oldest first, each delivery with every attempt (`next` is the `after` of the next page)',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.subscriptionParams,
    query: schemas.deliveryListQuery,
    response: schemas.deliveryList,
    successStatus: 200,
    run: async ({ params, query, caller }, webhooks) => {
      const items = await webhooks.deliveries(partyOfCaller(caller), params.id, query);
      return { data: items.map(deliveryView), extra: { next: items.length === query.limit ? (items.at(-1)?.id ?? null) : null } };
    },
  }),
  operation({
    operationId: 'getWebhookDelivery',
    method: 'get',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}',
    summary: 'One delivery of a subscription, with every attempt',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.deliveryParams,
    response: schemas.delivery,
    successStatus: 200,
    run: async ({ params, caller }, webhooks) => ({ data: deliveryView(await webhooks.delivery(partyOfCaller(caller), params.id, params.deliveryId)) }),
  }),
  operation({
    operationId: 'redeliverWebhookDelivery',
    method: 'post',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redelivery',
    summary: 'Send a delivery again now, whatever its state (delivered, dead or pending), with the same webhook-id',
    tag: 'Webhooks',
    allowed: webhookManagers,
    who,
    params: schemas.deliveryParams,
    response: schemas.delivery,
    audit: 'RedeliverWebhook',
    successStatus: 200,
    run: async ({ params, caller, write }, webhooks) => ({ data: deliveryView(await webhooks.redeliver(partyOfCaller(caller), params.id, params.deliveryId, write)) }),
  }),
];
