import { expect } from 'chai';
import { StoreError } from '../../src/db/errors.js';
import { idempotencyStore, type IdempotencyStore } from '../../src/db/idempotency-store.js';
import { testDatabases, useDatabase } from '../support/postgres.js';

let counter = 0;
const freshKey = (): string => `key-${(++counter).toString()}`;

for (const target of await testDatabases()) {
  describe(`idempotency store (${target.name})`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    let store: IdempotencyStore;
    before(() => {
      store = idempotencyStore(db());
    });

    it('claims a new key once; retries see it in progress, then replay the stored response', async () => {
      const key = freshKey();
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'new' });
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'in_progress' });
      const body = { id: 'R1', status: 'PLEDGE_REQUESTED', quantities: ['40', '60'], nested: { ok: true } };
      await store.complete('borrower.alice', key, 201, body);
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'replay', status: 201, body });
      expect(await store.begin('borrower.alice', key, 'hash-1'), 'replays every time').to.deep.equal({
        state: 'replay',
        status: 201,
        body,
      });
    });

    it('a key reused for another request is a mismatch, whether the first is running or done', async () => {
      const key = freshKey();
      await store.begin('borrower.alice', key, 'hash-1');
      expect(await store.begin('borrower.alice', key, 'hash-2')).to.deep.equal({ state: 'mismatch' });
      await store.complete('borrower.alice', key, 200, ['a']);
      expect(await store.begin('borrower.alice', key, 'hash-2')).to.deep.equal({ state: 'mismatch' });
    });

    it('keys belong to one identity: the same key from another identity is a new claim', async () => {
      const key = freshKey();
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'new' });
      expect(await store.begin('borrower.bob', key, 'hash-9')).to.deep.equal({ state: 'new' });
    });

    it('of ten concurrent begins with one key exactly one claims it; the others see it in progress', async () => {
      const key = freshKey();
      const outcomes = await Promise.all(Array.from({ length: 10 }, () => store.begin('lender.officer', key, 'hash-1')));
      expect(outcomes.filter((outcome) => outcome.state === 'new')).to.have.length(1);
      expect(outcomes.filter((outcome) => outcome.state === 'in_progress')).to.have.length(9);
    });

    it('an abandoned claim can be claimed again; a completed one cannot be abandoned', async () => {
      const key = freshKey();
      await store.begin('borrower.alice', key, 'hash-1');
      await store.abandon('borrower.alice', key);
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'new' });
      await store.complete('borrower.alice', key, 409, { code: 'ALREADY_PLEDGED' });
      await store.abandon('borrower.alice', key);
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({
        state: 'replay',
        status: 409,
        body: { code: 'ALREADY_PLEDGED' },
      });
    });

    it('completing a key that is not in progress is NOT_FOUND and changes nothing', async () => {
      const key = freshKey();
      const refused = (promise: Promise<unknown>): Promise<unknown> =>
        promise.then(
          () => expect.fail('expected NOT_FOUND'),
          (error: unknown) => error,
        );
      const unknown = await refused(store.complete('borrower.alice', key, 200, {}));
      expect(unknown).to.be.instanceOf(StoreError).and.to.have.property('code', 'NOT_FOUND');
      await store.begin('borrower.alice', key, 'hash-1');
      await store.complete('borrower.alice', key, 200, { first: true });
      expect(await refused(store.complete('borrower.alice', key, 500, { second: true }))).to.have.property('code', 'NOT_FOUND');
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'replay', status: 200, body: { first: true } });
    });

    it('a claim left in progress by a crashed request is taken over once stale, only by the same request', async () => {
      const key = freshKey();
      await store.begin('borrower.alice', key, 'hash-1');
      await db().query("UPDATE idempotency_keys SET created_at = now() - interval '1 hour' WHERE key = $1", [key]);
      expect(await store.begin('borrower.alice', key, 'hash-2'), 'another request still mismatches').to.deep.equal({
        state: 'mismatch',
      });
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'new' });
      expect(await store.begin('borrower.alice', key, 'hash-1'), 'the takeover is a fresh claim').to.deep.equal({
        state: 'in_progress',
      });
    });

    it('stores a response without a body as null and purges keys older than the cutoff', async () => {
      const key = freshKey();
      await store.begin('borrower.alice', key, 'hash-1');
      await store.complete('borrower.alice', key, 204, undefined);
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'replay', status: 204, body: null });
      const purged = await store.purgeBefore(new Date(Date.now() + 60_000));
      expect(purged).to.be.greaterThan(0);
      expect(await store.begin('borrower.alice', key, 'hash-1')).to.deep.equal({ state: 'new' });
    });
  });
}
