import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md):
 * the secret is `whsec_` and base64 of 32 random bytes; the signed content is `${webhook-id}.${webhook-timestamp}.${body}`;
 * `webhook-signature` is `v1,` and base64 of HMAC-SHA256 over it, keyed with the secret's bytes (the base64 after the
 * prefix, decoded).
 */

const prefix = 'whsec_';

/** A new subscription secret. */
export const newSecret = (): string => `${prefix}${randomBytes(32).toString('base64')}`;

/** The key bytes of a `whsec_` secret. */
export function secretBytes(secret: string): Buffer {
  if (!secret.startsWith(prefix)) throw new Error('not a whsec_ secret');
  return Buffer.from(secret.slice(prefix.length), 'base64');
}

/** The `webhook-signature` header value for one attempt. */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${id}.${timestampSeconds.toString()}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The headers of one attempt: the event id (stable across retries and redeliveries), this attempt's time, its signature. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': timestampSeconds.toString(),
    'webhook-signature': signature(secret, id, timestampSeconds, body),
  };
}
