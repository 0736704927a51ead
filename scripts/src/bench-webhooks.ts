/**
 * Webhook benchmark on embedded defaults (PGlite, embedded ledger), the gateway in its own process, one local
 * receiver in this one that verifies every signature (as a real receiver would) and notes when each delivery arrived.
 *
 * 1. Fan-out rate: BENCH_WEBHOOK_SUBSCRIPTIONS (4) subscriptions to lot.registered, paused; BENCH_WEBHOOK_EVENTS (600)
 *    lots registered (so 2,400 deliveries queued); then every subscription resumed at once, and the time until the
 *    receiver has them all. Goal >= 500 deliveries/s.
 * 2. Latency with live subscriptions: BENCH_WEBHOOK_LIVE (300) more lots, 10 concurrent clients; each delivery's time
 *    from the POST /v1/lots answer (the ledger commit; its event is written by the projection after it) to its
 *    arrival at the receiver. Goal p99 <= 1 s.
 *    Beside it, the same events as GET /v1/events (server-sent events, read from the same outbox) sees them, so that
 *    what the outbox costs (the projection writes a ledger event's row after the commit) and what webhooks add after
 *    it are told apart.
 * Baseline in the same run: the same receiver hit directly by a plain loop of signed POSTs over keep-alive
 * connections, 32 at a time (the sender's default concurrency), as many as in 1; the ratio says what the registry's
 * durable, ordered, logged delivery costs.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { startGatewayProcess, type GatewayProcess } from './bench/gateway-process.js';
import { drive, row, summarise } from './bench/stats.js';

const SUBSCRIPTIONS = Number(process.env.BENCH_WEBHOOK_SUBSCRIPTIONS ?? 4);
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 600);
const LIVE = Number(process.env.BENCH_WEBHOOK_LIVE ?? 300);
const CLIENTS = 20;
/** Concurrent writers in the live phase (BENCH_WEBHOOK_LIVE_CLIENTS). */
const LIVE_CLIENTS = Number(process.env.BENCH_WEBHOOK_LIVE_CLIENTS ?? 10);
const CONCURRENCY = 32;
const GOAL_RATE = 500;
const GOAL_P99_MS = 1_000;

interface Receiver {
  readonly url: string;
  /** Arrival time (performance.now) of each delivery by `${path} ${webhook-id}`; the first arrival counts. */
  readonly arrivals: Map<string, number>;
  readonly secrets: Map<string, string>;
  bad: number;
  close(): Promise<void>;
}

function verify(secret: string, id: string, timestamp: string, body: string, signatures: string): boolean {
  const expected = createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(' ').some((entry) => {
    const given = Buffer.from(entry.slice(3), 'base64');
    return entry.startsWith('v1,') && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const secrets = new Map<string, string>();
  const receiver = { arrivals, secrets, bad: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const [id, timestamp, signatures] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => String(req.headers[name] ?? ''));
      const secret = secrets.get(req.url ?? '');
      if (secret === undefined || !verify(secret, id ?? '', timestamp ?? '', Buffer.concat(chunks).toString('utf8'), signatures ?? '')) receiver.bad++;
      const key = `${req.url ?? ''} ${id ?? ''}`;
      if (!arrivals.has(key)) arrivals.set(key, at);
      res.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port.toString()}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
}

const created = z.object({ data: z.object({ id: z.string(), secret: z.string() }) });

async function until(what: string, done: () => boolean, timeoutMs = 300_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now();
}

/** Listens to GET /v1/events as `token` and notes when each event (by object id) arrived: the outbox's own latency. */
function listenToEvents(url: string, token: string, arrivals: Map<string, number>): { close(): void } {
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(`${url}/v1/events?types=lot.registered`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body ?? []) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message.split('\n').find((line) => line.startsWith('data: '));
        if (data === undefined) continue;
        const parsed = z.object({ object: z.object({ id: z.string() }) }).safeParse(JSON.parse(data.slice(6)));
        if (parsed.success && !arrivals.has(parsed.data.object.id)) arrivals.set(parsed.data.object.id, performance.now());
      }
    }
  })().catch(() => undefined);
  return { close: () => controller.abort() };
}

async function pendingDeliveries(gateway: GatewayProcess): Promise<number> {
  const health = z.looseObject({ webhooks: z.looseObject({ pending: z.number().nullable() }).optional(), checks: z.looseObject({ webhooks: z.looseObject({ pending: z.number().nullable() }) }).optional() });
  const parsed = health.parse(JSON.parse((await gateway.call('GET', '/healthz', undefined)).text));
  return parsed.webhooks?.pending ?? parsed.checks?.webhooks.pending ?? -1;
}

/** The baseline: signed POSTs straight to the receiver, CONCURRENCY at a time over keep-alive connections. */
async function baseline(receiver: Receiver, total: number): Promise<ReturnType<typeof summarise>> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  receiver.secrets.set('/baseline', secret);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const url = new URL(`${receiver.url}/baseline`);
  const summary = await drive(CONCURRENCY, total, async (_worker, i) => {
    const id = `evt-${i.toString()}`;
    const body = JSON.stringify({ id, type: 'lot.registered', timestamp: new Date().toISOString(), object: { type: 'lot', id: `LOT-${i.toString()}` }, data: { lotId: `LOT-${i.toString()}` } });
    const timestamp = Math.floor(Date.now() / 1000).toString();
    const signature = `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`baseline: HTTP ${String(res.statusCode)}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  });
  agent.destroy();
  return summary;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-webhooks-'));
  const receiver = await startReceiver();
  const gateway = await startGatewayProcess({ dataDir: join(dir, 'gateway'), env: { DATABASE_URL: '', WEBHOOK_ALLOW_PRIVATE: 'true', RULES_DEFAULT_TEMPLATES: 'none', ...(process.env.WEBHOOK_CONCURRENCY ? { WEBHOOK_CONCURRENCY: process.env.WEBHOOK_CONCURRENCY } : {}) }, clients: CLIENTS });
  try {
    const http = async (who: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<string> => {
      const { status, text } = await gateway.call(method, `/v1${path}`, gateway.tokens[who], body === undefined ? undefined : JSON.stringify(body));
      if (status >= 300) throw new Error(`${method} ${path}: ${status.toString()} ${text.slice(0, 300)}`);
      return text;
    };
    console.log(`webhook benchmark — embedded defaults (PGlite), gateway in its own process, ${SUBSCRIPTIONS.toString()} subscriptions to one local receiver\n`);

    const ids: string[] = [];
    for (let s = 0; s < SUBSCRIPTIONS; s++) {
      const path = `/s${s.toString()}`;
      const { data } = created.parse(JSON.parse(await http('custodian.supervisor', 'POST', '/webhooks', { url: `${receiver.url}${path}`, types: ['lot.registered'] })));
      receiver.secrets.set(path, data.secret);
      ids.push(data.id);
      await http('custodian.supervisor', 'POST', `/webhooks/${data.id}/pause`, {});
    }
    const lot = (i: number, prefix: string) => ({ id: `${prefix}-${i.toString()}`, warehouseId: 'WH-1', location: 'A', commodity: 'copper', unit: 't', quantity: '10' });

    // 1. Fan-out rate: everything queued while paused, then resumed at once.
    const queuedAt = performance.now();
    await drive(CLIENTS, EVENTS, async (_worker, i) => void (await http('custodian.clerk', 'POST', '/lots', lot(i, 'LOT-Q'))));
    const total = EVENTS * SUBSCRIPTIONS;
    const deadline = performance.now() + 120_000;
    while ((await pendingDeliveries(gateway)) < total) {
      if (performance.now() > deadline) throw new Error('the deliveries were not all queued');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const queueSeconds = (performance.now() - queuedAt) / 1000;
    const resumed = performance.now();
    await Promise.all(ids.map((id) => http('custodian.supervisor', 'POST', `/webhooks/${id}/resume`, {})));
    const drainedAt = await until('every queued delivery', () => receiver.arrivals.size >= total);
    const drainSeconds = (drainedAt - resumed) / 1000;
    const fanOut = summarise([...receiver.arrivals.values()].map((at) => at - resumed), drainSeconds);
    console.log(`queued ${total.toString()} deliveries (${EVENTS.toString()} lots x ${SUBSCRIPTIONS.toString()} subscriptions) in ${queueSeconds.toFixed(2)} s while paused`);
    console.log(row('1. fan-out after resume (time since resume)', fanOut, 'dlv'));

    // 2. Latency with live subscriptions.
    const streamed = new Map<string, number>();
    const stream = listenToEvents(gateway.url, gateway.tokens['custodian.supervisor'] ?? '', streamed);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const committed = new Map<string, number>();
    const beyondOutbox: number[] = [];
    const before = receiver.arrivals.size;
    const live = await drive(LIVE_CLIENTS, LIVE, async (_worker, i) => {
      const body = lot(i, 'LOT-L');
      await http('custodian.clerk', 'POST', '/lots', body);
      committed.set(body.id, performance.now());
    });
    await until('every live delivery', () => receiver.arrivals.size >= before + LIVE * SUBSCRIPTIONS);
    // The arrivals are keyed by webhook-id (the event id): map them back to their lots through the delivery logs.
    const latencies: number[] = [];
    for (const id of ids) {
      let after: string | null = null;
      do {
        const page = z.object({ data: z.array(z.object({ eventId: z.string(), object: z.object({ id: z.string() }) })), next: z.string().nullable() }).parse(
          JSON.parse(await http('custodian.supervisor', 'GET', `/webhooks/${id}/deliveries?limit=500${after === null ? '' : `&after=${after}`}`)),
        );
        for (const entry of page.data) {
          const commit = committed.get(entry.object.id);
          const path = `/s${ids.indexOf(id).toString()}`;
          const arrival = receiver.arrivals.get(`${path} ${entry.eventId}`);
          if (commit !== undefined && arrival !== undefined) latencies.push(arrival - commit);
          const seen = streamed.get(entry.object.id);
          if (seen !== undefined && arrival !== undefined && commit !== undefined) beyondOutbox.push(arrival - seen);
        }
        after = page.next;
      } while (after !== null);
    }
    stream.close();
    const liveSummary = summarise(latencies, live.seconds);
    const streamLatencies = [...committed].flatMap(([lotId, at]) => {
      const seen = streamed.get(lotId);
      return seen === undefined ? [] : [seen - at];
    });
    console.log(row('2. live: POST /v1/lots answered -> received', { ...liveSummary, perSecond: latencies.length / live.seconds }, 'dlv'));
    console.log(row('   the same events on GET /v1/events (SSE)', summarise(streamLatencies, live.seconds), 'evt'));
    const added = summarise(beyondOutbox, live.seconds);
    console.log(row('   webhooks beyond the outbox (SSE -> received)', { ...added, perSecond: beyondOutbox.length / live.seconds }, 'dlv'));

    // Baseline: the same receiver, hit directly.
    const direct = await baseline(receiver, total);
    console.log(row('baseline: signed POSTs straight to the receiver', direct, 'req'));

    const ratio = fanOut.perSecond / direct.perSecond;
    console.log(`\nfan-out ${fanOut.perSecond.toFixed(0)} deliveries/s (goal >= ${GOAL_RATE.toString()}: ${fanOut.perSecond >= GOAL_RATE ? 'met' : 'NOT met'}), ${(ratio * 100).toFixed(1)}% of the direct loop's rate`);
    console.log(`live p99 ${liveSummary.p99.toFixed(0)} ms from commit to receipt (goal <= ${GOAL_P99_MS.toString()} ms: ${liveSummary.p99 <= GOAL_P99_MS ? 'met' : 'NOT met'}); ${latencies.length.toString()} deliveries measured`);
    console.log(`  of which the outbox (the projection writing the event; SSE sees it then) p99 ${summarise(streamLatencies, 1).p99.toFixed(0)} ms, webhooks after it p99 ${added.p99.toFixed(0)} ms`);
    console.log(`signatures that did not verify: ${receiver.bad.toString()}`);
    if (receiver.bad > 0) process.exitCode = 1;
  } finally {
    await gateway.stop();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
