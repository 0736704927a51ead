import { expect } from 'chai';
import { pino } from 'pino';
import type { AttemptOutcome, Poster } from '../../src/modules/webhooks/attempt.js';
import { startSender, type Sender } from '../../src/modules/webhooks/sender.js';
import type { AttemptRecord, DueDelivery } from '../../src/modules/webhooks/store.js';
import { ManualClock } from '../../src/testing/manual-clock.js';

/**
 * The sender's queue against a store held in memory (the SQL is the delivery tests' business): what it picks per query,
 * how many attempts it runs at once, and that a picked delivery not started in time goes back instead of being sent on
 * what the database said a while ago.
 */

const delivery = (n: number): DueDelivery => ({
  id: n.toString(),
  version: 1,
  attempts: 0,
  failures: 0,
  firstAttemptAt: null,
  url: 'http://receiver.invalid/hook',
  secret: 'whsec_dGVzdA==',
  eventId: `evt-${n.toString()}`,
  eventType: 'lot.registered',
  occurredAt: new Date('2030-01-01T00:00:00.000Z'),
  object: { type: 'lot', id: `LOT-${n.toString()}` },
  data: {},
});

/** Pending deliveries in a list; every call and every attempt in one log, in the order they happened. */
function memoryStore(count: number) {
  const pending = new Map(Array.from({ length: count }, (_, index) => [(index + 1).toString(), delivery(index + 1)]));
  const log: string[] = [];
  return {
    log,
    pending,
    store: {
      due(limit: number, _now: Date, excluded: readonly string[]): Promise<DueDelivery[]> {
        log.push(`due ${limit.toString()}`);
        return Promise.resolve([...pending.values()].filter((due) => !excluded.includes(due.id)).slice(0, limit));
      },
      record(results: readonly AttemptRecord[]): Promise<void> {
        for (const result of results) if (result.status === 'delivered') pending.delete(result.deliveryId);
        return Promise.resolve();
      },
    },
  };
}

/** A receiver that holds every request until the test answers it. */
function heldPoster(log: string[]) {
  const held: { readonly id: string; answer(): void }[] = [];
  const poster: Poster = {
    post(_url, headers) {
      const id = (headers['webhook-id'] ?? '').replace('evt-', '');
      log.push(`post ${id}`);
      return new Promise<AttemptOutcome>((resolve) => held.push({ id, answer: () => resolve({ statusCode: 200, error: null, durationMs: 1 }) }));
    },
    close: () => undefined,
  };
  return { poster, held };
}

const until = async (what: string, done: () => boolean): Promise<void> => {
  for (let i = 0; i < 2_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  if (!done()) throw new Error(`never: ${what}`);
};

describe('The webhook sender: a queue in memory between the due query and the attempts', function () {
  let sender: Sender | undefined;
  afterEach(async () => {
    await sender?.stop();
    sender = undefined;
  });

  it('picks 8x its slots per query, runs no more attempts than its slots, and sends a delivery queued past a second only after picking it again', async () => {
    const clock = new ManualClock();
    const { store, log, pending } = memoryStore(20);
    const { poster, held } = heldPoster(log);
    sender = startSender({
      store,
      poster,
      clock,
      logger: pino({ level: 'silent' }),
      lease: { acquire: () => Promise.resolve(true), release: () => Promise.resolve(), retryMs: 1_000 },
      policy: { baseMs: 100, maxMs: 1_000, windowMs: 60_000 },
      concurrency: 2,
      pollMs: 250,
    });
    await until('two attempts under way', () => held.length === 2);
    expect(log).to.deep.equal(['due 16', 'post 1', 'post 2']);
    expect(sender.inFlight()).to.equal(2);

    // Deliveries 3 to 16 wait in the queue; a second and more passes before a slot frees.
    clock.advance(1_001);
    for (const request of held.splice(0)) request.answer();
    await until('the next two attempts', () => held.length === 2);
    // Not 3 and 4 from the old queue: a new query first, then them.
    expect(log.slice(3, 4)).to.deep.equal(['due 16']);
    expect(log.slice(4)).to.deep.equal(['post 3', 'post 4']);

    // Answered at once from now on: every delivery is sent exactly once, at most two at a time.
    for (let answered = 0; pending.size > 0 && answered < 100; answered++) {
      await until('an attempt under way', () => held.length > 0 || pending.size === 0);
      expect(sender.inFlight()).to.be.at.most(2);
      for (const request of held.splice(0)) request.answer();
      await until('its result recorded', () => sender?.inFlight() === 0 || held.length > 0);
    }
    expect(pending.size).to.equal(0);
    const posts = log.filter((entry) => entry.startsWith('post ')).map((entry) => Number(entry.slice(5)));
    expect(posts).to.deep.equal(Array.from({ length: 20 }, (_, index) => index + 1));
  });
});
