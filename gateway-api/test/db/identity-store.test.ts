import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { StoreError } from '../../src/db/errors.js';
import { identityStore, type IdentityStore, type NewIdentity } from '../../src/db/identity-store.js';
import { testDatabases, useDatabase } from '../support/postgres.js';
import { rejection } from '../../src/testing/refusal.js';

let counter = 0;
/** A new identity with an id unique within this run. */
function newIdentity(fields: Partial<NewIdentity> = {}): NewIdentity {
  counter++;
  return {
    id: `custodian.clerk-${counter.toString()}`,
    mspId: 'CustodianMSP',
    org: 'custodian',
    user: `zhang${counter.toString()}`,
    role: 'clerk',
    certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ...fields,
  };
}

const storeError = (promise: Promise<unknown>): Promise<StoreError> => rejection(promise, StoreError);

for (const target of await testDatabases()) {
  describe(`identity store (${target.name})`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);
    let store: IdentityStore;
    before(() => {
      store = identityStore(db());
    });

    it('records an identity and refuses a second one with the same id (ALREADY_EXISTS)', async () => {
      const identity = newIdentity();
      const created = await store.createIdentity(identity);
      expect(created).to.deep.include({ ...identity, disabledAt: null });
      expect(created.createdAt).to.be.instanceOf(Date);
      expect(await store.getIdentity(identity.id)).to.deep.equal(created);
      expect((await storeError(store.createIdentity({ ...identity, user: 'someone-else' }))).code).to.equal('ALREADY_EXISTS');
      expect((await store.getIdentity(identity.id))?.user, 'the first identity is untouched').to.equal(identity.user);
      expect((await store.listIdentities()).map((each) => each.id)).to.include(identity.id);
    });

    it('an issued token resolves to its identity; the token is wr_ and 32 random bytes in base64url', async () => {
      const identity = await store.createIdentity(newIdentity());
      const { token, record } = await store.issueToken(identity.id, 'ci robot');
      expect(token).to.match(/^wr_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token.slice(3), 'base64url')).to.have.length(32);
      expect(record).to.deep.include({ identityId: identity.id, label: 'ci robot', revokedAt: null, lastUsedAt: null });
      expect(record.id).to.match(/^tok_[0-9a-f]{16}$/);
      expect(await store.resolveToken(token)).to.deep.equal(identity);
      const again = await store.issueToken(identity.id, 'second');
      expect(again.token).to.not.equal(token);
      expect((await store.listTokens(identity.id)).map((each) => each.id)).to.deep.equal([record.id, again.record.id]);
    });

    it('stores only the SHA-256 of a token: no column of api_tokens holds the token or its bytes', async () => {
      const identity = await store.createIdentity(newIdentity());
      const { token, record } = await store.issueToken(identity.id, 'audit me');
      const [row] = z.array(z.record(z.string(), z.unknown())).parse(await db().query('SELECT * FROM api_tokens WHERE id = $1', [record.id]));
      expect(row, 'the token row').to.not.equal(undefined);
      const secret = Buffer.from(token.slice(3), 'base64url');
      for (const [column, value] of Object.entries(row ?? {})) {
        const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
        expect(bytes.includes(Buffer.from(token)), `column ${column} holds the token text`).to.equal(false);
        expect(bytes.includes(secret), `column ${column} holds the token's random bytes`).to.equal(false);
      }
      expect(row?.token_hash).to.deep.equal(createHash('sha256').update(token).digest());
    });

    it('a revoked token no longer resolves; revoking it again reports false', async () => {
      const identity = await store.createIdentity(newIdentity());
      const { token, record } = await store.issueToken(identity.id, 'to revoke');
      const other = await store.issueToken(identity.id, 'kept');
      expect(await store.revokeToken(record.id)).to.equal(true);
      expect(await store.resolveToken(token)).to.equal(undefined);
      expect(await store.resolveToken(other.token), "the identity's other token still works").to.deep.equal(identity);
      expect(await store.revokeToken(record.id)).to.equal(false);
      expect(await store.revokeToken('tok_0000000000000000')).to.equal(false);
      const listed = (await store.listTokens(identity.id)).find((each) => each.id === record.id);
      expect(listed?.revokedAt).to.be.instanceOf(Date);
    });

    it("a disabled identity's tokens stop resolving and it cannot be issued new ones (NOT_FOUND)", async () => {
      const identity = await store.createIdentity(newIdentity({ org: 'borrower', mspId: 'BorrowerMSP', role: 'owner' }));
      const { token } = await store.issueToken(identity.id, 'before');
      expect(await store.disableIdentity(identity.id)).to.equal(true);
      expect(await store.disableIdentity(identity.id), 'already disabled').to.equal(false);
      expect(await store.resolveToken(token)).to.equal(undefined);
      expect((await store.getIdentity(identity.id))?.disabledAt).to.be.instanceOf(Date);
      expect((await storeError(store.issueToken(identity.id, 'after'))).code).to.equal('NOT_FOUND');
    });

    it('unknown, malformed and unknown-identity requests resolve to nothing or NOT_FOUND', async () => {
      expect((await storeError(store.issueToken('nobody.here', 'x'))).code).to.equal('NOT_FOUND');
      expect(await store.disableIdentity('nobody.here')).to.equal(false);
      expect(await store.getIdentity('nobody.here')).to.equal(undefined);
      expect(await store.resolveToken(`wr_${Buffer.alloc(32, 7).toString('base64url')}`)).to.equal(undefined);
      for (const malformed of ['', 'wr_', 'Bearer x', `xx_${'a'.repeat(43)}`, `wr_${'a'.repeat(44)}`]) {
        expect(await store.resolveToken(malformed), malformed).to.equal(undefined);
      }
    });

    it('records the last use on first use and rewrites it at most once a minute', async () => {
      const identity = await store.createIdentity(newIdentity());
      const { token, record } = await store.issueToken(identity.id, 'busy');
      const lastUsed = async (): Promise<Date | null> =>
        (await store.listTokens(identity.id)).find((each) => each.id === record.id)?.lastUsedAt ?? null;
      await store.resolveToken(token);
      const first = await lastUsed();
      expect(first).to.be.instanceOf(Date);
      await store.resolveToken(token);
      expect(await lastUsed(), 'a second use within the minute writes nothing').to.deep.equal(first);
      await db().query("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes' WHERE id = $1", [record.id]);
      const aged = await lastUsed();
      await store.resolveToken(token);
      const refreshed = await lastUsed();
      expect(refreshed?.getTime()).to.be.greaterThan(aged?.getTime() ?? Infinity);
    });
  });
}
