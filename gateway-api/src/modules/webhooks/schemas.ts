import { z } from 'zod';
import { text } from '../../http/fields.js';
import { isEventType } from '../events/index.js';

/** Request and response schemas of the webhooks module. */

const exampleId = 'wh_3f9a1c0d2b7e4a5f6c8d9e0a';

export const targetUrl = z
  .string()
  .max(2000)
  .superRefine((value, context) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      context.addIssue({ code: 'custom', message: 'must be an absolute http:// or https:// URL' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') context.addIssue({ code: 'custom', message: `must be http:// or https://, not ${url.protocol}//` });
    if (url.username !== '' || url.password !== '') context.addIssue({ code: 'custom', message: 'must not carry a user name or password (put a token in the path or check the signature)' });
    if (url.hostname === '') context.addIssue({ code: 'custom', message: 'must name a host' });
    if (url.hash !== '' || value.includes('#')) context.addIssue({ code: 'custom', message: 'must not have a #fragment' });
  })
  .openapi({ description: 'where events are POSTed: http or https, no user info; its host must resolve to public addresses only (WEBHOOK_ALLOW_PRIVATE)', example: 'https://hooks.bank.example/registry' });

const eventType = z.string().max(100).refine(isEventType, 'unknown event type; see GET /v1/event-types');

export const subscriptionBody = z
  .strictObject({
    url: targetUrl,
    types: z.array(eventType).min(1).max(100).optional().openapi({ description: 'the event types to deliver (default: every type)' }),
    description: text(500).optional(),
  })
  .openapi('WebhookSubscriptionRequest', {
    example: { url: 'https://hooks.bank.example/registry', types: ['receipt.pledge-accepted', 'receipt.released', 'receipt.held', 'alarm.raised'], description: 'collateral desk' },
  });

const subscriptionExample = {
  id: exampleId,
  url: 'https://hooks.bank.example/registry',
  types: ['receipt.pledge-accepted', 'receipt.released', 'receipt.held', 'alarm.raised'],
  description: 'collateral desk',
  status: 'active',
  party: 'LenderMSP',
  createdBy: 'lender.officer',
  createdAt: '2026-11-20T04:00:00.000Z',
  updatedAt: '2026-11-20T04:00:00.000Z',
};

export const subscription = z
  .object({
    id: z.string(),
    url: z.string(),
    types: z.array(z.string()).nullable().openapi({ description: 'null: every type' }),
    description: z.string().nullable(),
    status: z.enum(['active', 'paused']),
    party: z.string().openapi({ description: 'whose events it hears: an MSP id, or BorrowerMSP/<owner> for a receipt owner' }),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('WebhookSubscription', { example: subscriptionExample });

export const createdSubscription = subscription
  .extend({
    secret: z.string().openapi({ description: 'whsec_ and base64 of 32 bytes: the signing key. Shown here once, never again', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
  })
  .openapi('WebhookSubscriptionCreated', { example: { ...subscriptionExample, secret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD7nQ5oIIeNS4=' } });

export const subscriptionList = z.array(subscription).openapi({ example: [subscriptionExample] });

export const subscriptionParams = z.strictObject({ id: z.string().regex(/^wh_[0-9a-f]{24}$/, 'must be a webhook id (wh_ and 24 hex digits)').openapi({ example: exampleId }) });

export const deliveryParams = subscriptionParams.extend({ deliveryId: z.string().regex(/^[1-9]\d{0,17}$/, 'must be a delivery id (digits)').openapi({ example: '1042' }) });

const attemptExample = { attempt: 1, at: '2026-11-20T04:00:00.120Z', durationMs: 48, statusCode: 503, error: null };
const deliveryExample = {
  id: '1042',
  eventId: 'ledger-7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988',
  eventType: 'receipt.pledge-accepted',
  object: { type: 'receipt', id: 'WR-2026-0001' },
  status: 'delivered',
  nextAttemptAt: null,
  deliveredAt: '2026-11-20T04:00:04.310Z',
  createdAt: '2026-11-20T04:00:00.100Z',
  attempts: [attemptExample, { attempt: 2, at: '2026-11-20T04:00:04.290Z', durationMs: 20, statusCode: 200, error: null }],
};

export const delivery = z
  .object({
    id: z.string(),
    eventId: z.string().openapi({ description: 'the webhook-id header: the same on every attempt and redelivery' }),
    eventType: z.string(),
    object: z.object({ type: z.string(), id: z.string() }),
    status: z.enum(['pending', 'delivered', 'dead']),
    nextAttemptAt: z.string().nullable(),
    deliveredAt: z.string().nullable().openapi({ description: 'the last successful attempt' }),
    createdAt: z.string(),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        durationMs: z.number().int(),
        statusCode: z.number().int().nullable(),
        error: z.string().nullable().openapi({ description: 'without a status: timeout, connection refused, target forbidden' }),
      }),
    ),
  })
  .openapi('WebhookDelivery', { example: deliveryExample });

export const deliveryList = z.array(delivery).openapi({ example: [deliveryExample] });

export const deliveryListQuery = z.strictObject({
  status: z.enum(['pending', 'delivered', 'dead']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  after: z.string().regex(/^\d{1,18}$/, 'must be a delivery id').optional().openapi({ description: 'the `next` of the previous page' }),
});
