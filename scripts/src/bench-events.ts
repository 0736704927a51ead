/**
 * Event-stream benchmark on embedded defaults (PGlite, embedded ledger), the gateway in its own process: BENCH_EVENTS_CLIENTS
 * (200) clients connected to GET /v1/events (server-sent events) at once, read by a streaming parser over node:http,
 * while BENCH_EVENTS_LOTS (400) lots are registered by BENCH_EVENTS_WRITERS (10) concurrent writers at a paced
 * BENCH_EVENTS_RATE (20) lots/s. The clients are mostly custodian identities (who see lot events) and a few of the
 * lender and the borrowers (who see none of them; they show that the stream keeps to its audience).
 *
 * Each (client, event) pair's latency is the event's arrival at that client minus the moment its POST /v1/lots
 * answered (the ledger commit; the projection writes the event's outbox row after it, and the stream's shared reader
 * reads it from there). Goal: p99 <= 500 ms over every pair. Split: commit -> the event's first arrival at any client
 * (the projection, the outbox, the shared reader: what comes before fan-out) and first arrival -> this client's
 * arrival (fan-out). Completeness: every custodian client must get every lot.registered event of the run, exactly
 * once; the others none.
 * Baseline in the same run: the same load with 1 connected client; the ratio of the p99s says what fan-out costs.
 * BENCH_EVENTS_PROFILE=<dir> runs the gateway with --cpu-prof into that folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { z } from 'zod';
import { startGatewayProcess, type GatewayProcess } from './bench/gateway-process.js';
import { drive, row, summarise, type Summary } from './bench/stats.js';

const CLIENTS = Number(process.env.BENCH_EVENTS_CLIENTS ?? 200);
const LOTS = Number(process.env.BENCH_EVENTS_LOTS ?? 400);
const WRITERS = Number(process.env.BENCH_EVENTS_WRITERS ?? 10);
/**
 * Lots/s in total. 20: on this machine (2 shared cores, PGlite) the projection keeps up with it when one client listens;
 * at 50/s it fell behind (about 36 events/s reached the outbox), and the latency measured was only its backlog.
 */
const RATE = Number(process.env.BENCH_EVENTS_RATE ?? 20);
const WARM_UP = 100;
/** How often /healthz is asked how far the projection is (when each event reached the outbox). */
const PROJECTION_POLL_MS = 100;
/** The gateway's default EVENTS_HEARTBEAT_MS. */
const HEARTBEAT_MS = 15_000;
const GOAL_P99_MS = 500;
/** How long after the last POST the clients may take to receive what they still miss. */
const SETTLE_MS = 30_000;

/** The mix of identities: every 25th client a lender's, every 25th (offset) a borrower's, the rest the custodian's. */
const custodians = ['custodian.auditor', 'custodian.supervisor', 'custodian.clerk', 'custodian.device-gateway'];
const lenders = ['lender.officer', 'lender.approver', 'lender.auditor'];
const borrowers = ['borrower.alice', 'borrower.bob', 'borrower.auditor'];
function identityOf(n: number): string {
  const pick = (list: readonly string[], k: number): string => list[k % list.length] ?? '';
  if (n % 25 === 12) return pick(lenders, Math.floor(n / 25));
  if (n % 25 === 24) return pick(borrowers, Math.floor(n / 25));
  return pick(custodians, n);
}
const groupOf = (who: string): string => who.slice(0, who.indexOf('.'));

const message = z.object({ id: z.string(), type: z.string(), timestamp: z.string(), object: z.object({ type: z.string(), id: z.string() }) });

/** One GET /v1/events connection, parsed as it streams. */
interface StreamClient {
  readonly who: string;
  /** Arrival (performance.now) of each lot.registered event by lot id. */
  readonly arrivals: Map<string, number>;
  /** Events received by type. */
  readonly types: Map<string, number>;
  readonly eventIds: Set<string>;
  duplicates: number;
  heartbeats: number;
  /** The longest time without a byte from the gateway once the stream was open (ms), up to now or its end. */
  longestSilence: number;
  lastByte: number;
  ended: string | undefined;
  /** Resolves once the stream is open (its `retry:` line arrived): every event committed after it will come. */
  readonly open: Promise<void>;
  close(): void;
}

function connect(gateway: GatewayProcess, agent: Agent, who: string, timestamps: Map<string, number>): StreamClient {
  const token = gateway.tokens[who];
  if (token === undefined) throw new Error(`no token for ${who}`);
  const url = new URL('/v1/events', gateway.url);
  const client: StreamClient = {
    who,
    arrivals: new Map(),
    types: new Map(),
    eventIds: new Set(),
    duplicates: 0,
    heartbeats: 0,
    longestSilence: 0,
    lastByte: performance.now(),
    ended: undefined,
    open: Promise.resolve(),
    close: () => undefined,
  };
  let response: IncomingMessage | undefined;
  const req = request(url, { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
  const open = new Promise<void>((resolve, reject) => {
    req.on('error', (error) => {
      client.ended ??= error.message;
      reject(error);
    });
    req.on('response', (res) => {
      response = res;
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`GET /v1/events as ${who}: HTTP ${String(res.statusCode)}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      let opened = false;
      res.on('data', (chunk: string) => {
        const at = performance.now();
        if (opened) client.longestSilence = Math.max(client.longestSilence, at - client.lastByte);
        client.lastByte = at;
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) {
            client.heartbeats++;
            continue;
          }
          if (block.startsWith('retry:')) {
            opened = true;
            resolve();
            continue;
          }
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data === undefined) continue;
          const event = message.parse(JSON.parse(data.slice(6)));
          if (client.eventIds.has(event.id)) {
            client.duplicates++;
            continue;
          }
          client.eventIds.add(event.id);
          client.types.set(event.type, (client.types.get(event.type) ?? 0) + 1);
          if (event.type === 'lot.registered') {
            client.arrivals.set(event.object.id, at);
            if (!timestamps.has(event.object.id)) timestamps.set(event.object.id, Date.parse(event.timestamp));
          }
        }
      });
      res.on('end', () => (client.ended ??= 'the gateway ended the stream'));
      res.on('error', (error) => (client.ended ??= error.message));
    });
  });
  req.end();
  return Object.assign(client, {
    open,
    close: () => {
      client.ended ??= 'closed';
      response?.destroy();
      req.destroy();
    },
  });
}

/** When a lot's POST /v1/lots answered (performance.now and wall clock) and the block its transaction is in. */
interface Commit {
  readonly at: number;
  readonly wall: number;
  readonly block: number;
}

const lot = (id: string) => ({ id, warehouseId: 'WH-1', location: 'A', commodity: 'copper', unit: 't', quantity: '10' });

/** Registers `total` lots named `${prefix}-<n>`, WRITERS at a time, paced at RATE lots/s; notes when each POST answered. */
async function load(gateway: GatewayProcess, prefix: string, total: number, committed: Map<string, Commit>): Promise<{ posts: Summary; seconds: number }> {
  const token = gateway.tokens['custodian.clerk'];
  const posts: number[] = [];
  const started = performance.now();
  const run = await drive(WRITERS, total, async (_worker, i) => {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const body = lot(`${prefix}-${i.toString()}`);
    const sent = performance.now();
    const { status, text } = await gateway.call('POST', '/v1/lots', token, JSON.stringify(body));
    if (status >= 300) throw new Error(`POST /v1/lots: ${status.toString()} ${text.slice(0, 300)}`);
    const at = performance.now();
    const block = z.object({ transaction: z.object({ blockNumber: z.coerce.number() }) }).parse(JSON.parse(text)).transaction.blockNumber;
    committed.set(body.id, { at, wall: performance.timeOrigin + at, block });
    posts.push(at - sent);
  });
  return { posts: summarise(posts, run.seconds), seconds: run.seconds };
}

/**
 * Polls /healthz every PROJECTION_POLL_MS and notes when the projection's checkpoint first reached each block: the
 * projection writes an event's outbox row in the transaction that moves the checkpoint, so this is when the event was
 * in the outbox (to within half a poll and a /healthz round trip). Stops when `stop` is aborted.
 */
async function watchProjection(gateway: GatewayProcess, stop: AbortSignal): Promise<Map<number, number>> {
  const reached = new Map<number, number>();
  const health = z.object({ checks: z.looseObject({ projection: z.looseObject({ block: z.number().nullable() }) }) });
  let last = -1;
  let before = performance.now();
  while (!stop.aborted) {
    const { text } = await gateway.call('GET', '/healthz', undefined);
    const at = performance.now();
    const block = health.safeParse(JSON.parse(text)).data?.checks.projection.block ?? null;
    // Reached between the previous answer and this one: the middle of that interval.
    if (block !== null) for (let b = last + 1; b <= block; b++) reached.set(b, (before + at) / 2);
    last = Math.max(last, block ?? -1);
    before = at;
    await new Promise((resolve) => setTimeout(resolve, PROJECTION_POLL_MS));
  }
  return reached;
}

const eventsHealth = z.looseObject({ events: z.looseObject({ streams: z.number(), dropped: z.number(), maxBufferedBytes: z.number() }) });
async function streamHealth(gateway: GatewayProcess): Promise<z.infer<typeof eventsHealth>['events'] | undefined> {
  const { text } = await gateway.call('GET', '/healthz', undefined);
  const body = z.looseObject({ checks: z.record(z.string(), z.unknown()).optional() }).parse(JSON.parse(text));
  const parsed = eventsHealth.safeParse(body.checks ?? body);
  return parsed.success ? parsed.data.events : undefined;
}

interface PhaseResult {
  readonly label: string;
  readonly clients: number;
  readonly all: Summary;
  readonly beforeFanOut: Summary;
  readonly fanOut: Summary;
  /** Commit -> the projection's checkpoint past the event's block (its outbox row committed), to within a poll. */
  readonly toOutbox: Summary;
  /** The event's `timestamp` (ledger transaction time) -> the POST's answer, wall clock. */
  readonly ledger: Summary;
  readonly posts: Summary;
  readonly deliveredPerSecond: number;
  readonly missing: number;
  /** The longest time a stream that sees none of the load's events went without a byte (ms), and its heartbeats. */
  readonly quietSilence: number;
  readonly quietHeartbeats: number;
}

async function phase(gateway: GatewayProcess, label: string, identities: readonly string[], prefix: string): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: identities.length + 8 });
  const timestamps = new Map<string, number>();
  const connectStart = performance.now();
  const clients = identities.map((who) => connect(gateway, agent, who, timestamps));
  try {
    await Promise.all(clients.map((client) => client.open));
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const opened = await streamHealth(gateway);
    const cpuBefore = await gateway.cpuSeconds();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();

    const committed = new Map<string, Commit>();
    const watching = new AbortController();
    const projected = watchProjection(gateway, watching.signal);
    const loadStart = performance.now();
    const { posts } = await load(gateway, prefix, LOTS, committed);
    const expected = [...committed.keys()];
    const custodianClients = clients.filter((client) => groupOf(client.who) === 'custodian');
    const complete = (client: StreamClient): boolean => expected.every((id) => client.arrivals.has(id));
    const deadline = performance.now() + SETTLE_MS;
    while (!custodianClients.every(complete) && performance.now() < deadline && clients.every((client) => client.ended === undefined)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    watching.abort();
    const projectedAt = await projected;
    let lastArrival = loadStart;
    for (const client of clients) for (const at of client.arrivals.values()) lastArrival = Math.max(lastArrival, at);
    const cpuAfter = await gateway.cpuSeconds();
    loopDelay.disable();
    const health = await streamHealth(gateway);
    const now = performance.now();
    for (const client of clients) client.longestSilence = Math.max(client.longestSilence, now - client.lastByte);

    const latencies: number[] = [];
    const beforeFanOut: number[] = [];
    const fanOut: number[] = [];
    const ledger: number[] = [];
    const firstArrival = new Map<string, number>();
    const toOutbox: number[] = [];
    const afterOutbox: number[] = [];
    for (const [id, commit] of committed) {
      const arrivals = clients.flatMap((client) => {
        const at = client.arrivals.get(id);
        return at === undefined ? [] : [at];
      });
      if (arrivals.length === 0) continue;
      const first = Math.min(...arrivals);
      firstArrival.set(id, first);
      const inOutbox = projectedAt.get(commit.block);
      if (inOutbox !== undefined) {
        toOutbox.push(inOutbox - commit.at);
        afterOutbox.push(first - inOutbox);
      }
      beforeFanOut.push(first - commit.at);
      for (const at of arrivals) {
        latencies.push(at - commit.at);
        fanOut.push(at - first);
      }
      const stamp = timestamps.get(id);
      if (stamp !== undefined) ledger.push(commit.wall - stamp);
    }
    const seconds = (lastArrival - loadStart) / 1000;
    const all = summarise(latencies, seconds);

    console.log(`\n${label}: ${clients.length.toString()} client(s) connected in ${connectSeconds.toFixed(2)} s; ${LOTS.toString()} lots by ${WRITERS.toString()} writers at ${RATE.toString()}/s`);
    console.log(row('  POST /v1/lots (custodian.clerk)', posts, 'req'));
    console.log(row('  POST answered -> arrival, every (client, event)', all, 'evt'));
    console.log(row('    commit -> first arrival at any client', summarise(beforeFanOut, seconds), 'evt'));
    console.log(row(`      of which commit -> in the outbox (±${(PROJECTION_POLL_MS / 2).toString()} ms)`, summarise(toOutbox, seconds), 'evt'));
    console.log(row('      and in the outbox -> first arrival', summarise(afterOutbox, seconds), 'evt'));
    console.log(row('    first arrival -> this client (fan-out)', summarise(fanOut, seconds), 'evt'));
    console.log(row('  event timestamp -> POST answered (ledger)', summarise(ledger, seconds), 'evt'));
    // Whether the pipeline keeps up: the commit -> first arrival p99 of each quarter of the load, by commit time.
    const loadMs = Math.max(1, ...[...committed.values()].map((commit) => commit.at - loadStart));
    const quarters = [0, 1, 2, 3].map((q) => {
      const inQuarter = [...committed].flatMap(([id, commit]) => {
        const k = Math.min(3, Math.floor(((commit.at - loadStart) / loadMs) * 4));
        const first = firstArrival.get(id);
        return k === q && first !== undefined ? [first - commit.at] : [];
      });
      return summarise(inQuarter, 1).p99.toFixed(0);
    });
    console.log(`    commit -> first arrival p99 by quarter of the load: ${quarters.join(', ')} ms (rising: the pipeline falls behind)`);

    let missing = 0;
    for (const group of ['custodian', 'lender', 'borrower']) {
      const members = clients.filter((client) => groupOf(client.who) === group);
      if (members.length === 0) continue;
      const counts = members.map((client) => expected.filter((id) => client.arrivals.has(id)).length);
      const should = group === 'custodian' ? expected.length : 0;
      const short = counts.reduce((sum, count) => sum + Math.max(0, should - count), 0);
      const extra = counts.reduce((sum, count) => sum + Math.max(0, count - should), 0);
      missing += short + extra;
      const types = new Map<string, number>();
      for (const client of members) for (const [type, count] of client.types) types.set(type, (types.get(type) ?? 0) + count);
      const typeList = [...types].map(([type, count]) => `${type} ${count.toString()}`).join(', ') || 'none';
      const silence = Math.max(...members.map((client) => client.longestSilence)) / 1000;
      const duplicates = members.reduce((sum, client) => sum + client.duplicates, 0);
      const heartbeats = members.reduce((sum, client) => sum + client.heartbeats, 0);
      console.log(
        `  ${`${group}.* (${members.length.toString()} clients)`.padEnd(24)} lot.registered of the run per client ${Math.min(...counts).toString()}..${Math.max(...counts).toString()} ` +
          `(expected ${should.toString()}; missing ${short.toString()}, unexpected ${extra.toString()}, duplicates ${duplicates.toString()}); ` +
          `all events received: ${typeList}; heartbeats ${heartbeats.toString()}; longest silence ${silence.toFixed(1)} s`,
      );
    }
    const ended = clients.filter((client) => client.ended !== undefined);
    if (ended.length > 0) console.log(`  streams that ended early: ${ended.length.toString()} (${ended[0]?.who ?? ''}: ${ended[0]?.ended ?? ''})`);
    const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? `; gateway CPU ${(cpuAfter - cpuBefore).toFixed(1)} s over ${((now - loadStart) / 1000).toFixed(1)} s` : '';
    console.log(
      `  gateway streams open ${String(opened?.streams ?? '?')} -> ${String(health?.streams ?? '?')}, dropped ${String(health?.dropped ?? '?')}, ` +
        `most bytes waiting in a socket ${String(health?.maxBufferedBytes ?? '?')}${cpu}; this process's event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms`,
    );
    const pairs = latencies.length;
    const quiet = clients.filter((client) => groupOf(client.who) !== 'custodian');
    const quietSilence = Math.max(0, ...quiet.map((client) => client.longestSilence));
    const quietHeartbeats = quiet.reduce((sum, client) => sum + client.heartbeats, 0);
    return { quietSilence, quietHeartbeats, label, clients: clients.length, all, beforeFanOut: summarise(beforeFanOut, seconds), fanOut: summarise(fanOut, seconds), toOutbox: summarise(toOutbox, seconds), ledger: summarise(ledger, seconds), posts, deliveredPerSecond: pairs / seconds, missing: missing + ended.length };
  } finally {
    for (const client of clients) client.close();
    agent.destroy();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'wr-bench-events-'));
  // The per-identity rate limits are lifted by startGatewayProcess (RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND); 200
  // streams of the same few identities would otherwise be 200 requests at once on one bucket. The gateway has no
  // connection limit of its own (no server.maxConnections; a streaming response is no idle keep-alive socket).
  const gateway = await startGatewayProcess({ dataDir: join(dir, 'gateway'), env: { DATABASE_URL: '', RULES_DEFAULT_TEMPLATES: 'none' }, clients: WRITERS + 2, ...(process.env.BENCH_EVENTS_PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_EVENTS_PROFILE}`] } : {}) });
  try {
    console.log(`event-stream benchmark — embedded defaults (PGlite), gateway in its own process, GET /v1/events (SSE) over node:http`);
    const identities = Array.from({ length: CLIENTS }, (_, n) => identityOf(n));
    const mix = ['custodian', 'lender', 'borrower'].map((group) => `${identities.filter((who) => groupOf(who) === group).length.toString()} ${group}`).join(', ');
    console.log(`${CLIENTS.toString()} clients (${mix}); load: POST /v1/lots, ${WRITERS.toString()} writers paced at ${RATE.toString()} lots/s in total`);

    // Warm-up, untimed: both processes' code paths (the ledger, the projection, the stream).
    const warm = connect(gateway, new Agent({ keepAlive: true }), 'custodian.auditor', new Map());
    await warm.open;
    const warmed = new Map<string, Commit>();
    await load(gateway, 'LOT-W', WARM_UP, warmed);
    // Until the projection has caught up (the stream has every warm-up event), so that no backlog carries over.
    const settled = performance.now() + SETTLE_MS;
    while (![...warmed.keys()].every((id) => warm.arrivals.has(id)) && performance.now() < settled) await new Promise((resolve) => setTimeout(resolve, 20));
    warm.close();

    const one = await phase(gateway, 'baseline: 1 client (custodian.auditor)', ['custodian.auditor'], 'LOT-A');
    const many = await phase(gateway, `${CLIENTS.toString()} clients`, identities, 'LOT-B');

    const ratio = many.all.p99 / one.all.p99;
    console.log(`\n${CLIENTS.toString()} clients: p50 ${many.all.p50.toFixed(0)} ms, p95 ${many.all.p95.toFixed(0)} ms, p99 ${many.all.p99.toFixed(0)} ms from commit to arrival (goal <= ${GOAL_P99_MS.toString()} ms: ${many.all.p99 <= GOAL_P99_MS ? 'met' : 'NOT met'}); ${many.all.count.toString()} (client, event) pairs, ${many.deliveredPerSecond.toFixed(0)} events/s delivered`);
    console.log(`1 client: p50 ${one.all.p50.toFixed(0)} ms, p95 ${one.all.p95.toFixed(0)} ms, p99 ${one.all.p99.toFixed(0)} ms; ${CLIENTS.toString()}-client p99 / 1-client p99 = ${ratio.toFixed(2)}x`);
    console.log(
      `before fan-out (commit -> first arrival: projection, outbox, shared reader) p99 ${many.beforeFanOut.p99.toFixed(0)} ms with ${CLIENTS.toString()} clients, ${one.beforeFanOut.p99.toFixed(0)} ms with 1; ` +
        `fan-out itself (first -> each client) p99 ${many.fanOut.p99.toFixed(0)} ms`,
    );
    console.log(
      `before the outbox (commit -> the projection's checkpoint past the event's block, polled every ${PROJECTION_POLL_MS.toString()} ms) p50 ${many.toOutbox.p50.toFixed(0)} / p99 ${many.toOutbox.p99.toFixed(0)} ms ` +
        `with ${CLIENTS.toString()} clients, p50 ${one.toOutbox.p50.toFixed(0)} / p99 ${one.toOutbox.p99.toFixed(0)} ms with 1`,
    );
    if (many.quietSilence > 0) {
      console.log(
        `streams that see none of these events (lender, borrowers): up to ${(many.quietSilence / 1000).toFixed(1)} s without a byte, heartbeat interval ${(HEARTBEAT_MS / 1000).toFixed(0)} s, ` +
          `heartbeats ${many.quietHeartbeats.toString()} (${many.quietSilence > HEARTBEAT_MS * 1.55 ? 'longer than the heartbeat loop allows (a quiet stream gets one 1 to 1.5 intervals after its last byte)' : 'within the 1.5 intervals the heartbeat loop allows'})`,
      );
    }
    console.log(`completeness: ${many.missing + one.missing === 0 ? 'every client got exactly the events it should' : `${(many.missing + one.missing).toString()} missing, unexpected or ended (see above)`}`);
    if (many.missing + one.missing > 0) process.exitCode = 1;
  } finally {
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
