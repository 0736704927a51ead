import { expect } from 'chai';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { TestGateway } from '../support/gateway.js';
import { receivedEvent as payloadSchema, type ReceivedEvent as Payload } from '../events/sse.js';

/**
 * A webhook receiver for the tests: a real HTTP server on 127.0.0.1 (port 0: it never restarts) that records every
 * request with what it answered, and verifies signatures with its own implementation of the Standard Webhooks
 * scheme (not the gateway's), so that a test of the two agreeing means something.
 */

// A webhook's body is the same JSON as an event stream message's data.
export { payloadSchema, type Payload };

/** What the receiver does with a request: answer 2xx, answer an error status, or never answer. */
export type Behaviour = { readonly status: number } | 'hang';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly payload: Payload;
  /** What it was answered ('hang': nothing). */
  readonly answered: number | 'hang';
  /** Whether the signature verified with the secret of its path (undefined: no secret registered for the path). */
  readonly verified: boolean | undefined;
  readonly at: number;
}

/** Verifies a Standard Webhooks request: any v1 signature matching, and a timestamp within `toleranceSeconds` of now. */
export function verifySignature(secret: string, headers: IncomingHttpHeaders, body: string, nowMs = Date.now(), toleranceSeconds = 300): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string' || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || value === undefined) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** The secret of the subscription that posts to `path` (to verify its requests). */
  secret(path: string, secret: string): void;
  secretOf(path: string): string | undefined;
  /** Decides the answer to each request (by default 200). */
  behave(decide: (request: { readonly path: string; readonly count: number }) => Behaviour): void;
  /** The requests to `path` answered 2xx. */
  accepted(path: string): Received[];
  /** Resolves once `done()` holds, polling; fails after `timeoutMs`. */
  until(what: string, done: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const secrets = new Map<string, string>();
  const hung = new Set<ServerResponse>();
  let decide: (request: { path: string; count: number }) => Behaviour = () => ({ status: 200 });
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const behaviour = decide({ path, count: count++ });
      const secret = secrets.get(path);
      const parsed = payloadSchema.safeParse(JSON.parse(body));
      if (!parsed.success) throw new Error(`a webhook body of another shape: ${body.slice(0, 300)}`);
      received.push({
        path,
        headers: req.headers,
        body,
        payload: parsed.data,
        answered: behaviour === 'hang' ? 'hang' : behaviour.status,
        verified: secret === undefined ? undefined : verifySignature(secret, req.headers, body),
        at: Date.now(),
      });
      if (behaviour === 'hang') {
        hung.add(res);
        return;
      }
      res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port.toString()}`,
    port,
    received,
    secret: (path, secret) => secrets.set(path, secret),
    secretOf: (path) => secrets.get(path),
    behave: (next) => {
      decide = next;
    },
    accepted: (path) => received.filter((entry) => entry.path === path && typeof entry.answered === 'number' && entry.answered < 300),
    async until(what, done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${received.length.toString()}: ${received.map((entry) => `${entry.path} ${entry.payload.type} ${String(entry.answered)}`).join(', ').slice(0, 2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export const subscriptionReply = z.object({
  data: z.looseObject({ id: z.string(), url: z.string(), status: z.string(), party: z.string(), types: z.array(z.string()).nullable(), secret: z.string().optional() }),
});
export const deliveryShape = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  object: z.object({ type: z.string(), id: z.string() }),
  status: z.enum(['pending', 'delivered', 'dead']),
  nextAttemptAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
  attempts: z.array(z.object({ attempt: z.number(), at: z.string(), durationMs: z.number(), statusCode: z.number().nullable(), error: z.string().nullable() })),
});
export type DeliveryShape = z.infer<typeof deliveryShape>;
const deliveryList = z.object({ data: z.array(deliveryShape), next: z.string().nullable() });

/** Subscribes `path` of the receiver as `who`; registers the secret with the receiver; returns the subscription id. */
export async function subscribe(gw: TestGateway, who: string, receiver: Receiver, path: string, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await gw.request(who, 'POST', '/v1/webhooks', { body: { url: `${receiver.url}${path}`, ...extra } });
  expect(reply.status, reply.text.slice(0, 400)).to.equal(201);
  const { data } = subscriptionReply.parse(reply.body);
  expect(data.secret).to.match(/^whsec_[A-Za-z0-9+/]{43}=$/);
  receiver.secret(path, data.secret ?? '');
  return data.id;
}

/** Every delivery of a subscription, as `who` reads the log (all pages). */
export async function deliveries(gw: TestGateway, who: string, id: string, status?: string): Promise<DeliveryShape[]> {
  const all: DeliveryShape[] = [];
  let after: string | null = null;
  do {
    const query = new URLSearchParams({ limit: '500', ...(status === undefined ? {} : { status }), ...(after === null ? {} : { after }) });
    const reply = await gw.request(who, 'GET', `/v1/webhooks/${id}/deliveries?${query.toString()}`);
    expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
    const page = deliveryList.parse(reply.body);
    all.push(...page.data);
    after = page.next;
  } while (after !== null);
  return all;
}
