import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from '@wr/anchor/testing';
import { z } from 'zod';
import { openDatabase } from '../../src/db/database.js';
import { DatabaseError, StoreError } from '../../src/db/errors.js';
import { testDatabases, useDatabase } from '../support/postgres.js';

const numbers = z.array(z.object({ n: z.number() }));

describe('opening a database', () => {
  // A reserved port: free when reserved, and no other test takes it, so nothing listens on it.
  it('an unreachable server is DATABASE_UNAVAILABLE, with the driver error as cause and no SQL in the message', async () => {
    const url = `postgres://postgres@127.0.0.1:${(await reservePort()).toString()}/postgres`;
    const error: unknown = await openDatabase({ databaseUrl: url, dataDir: tmpdir() }).catch((caught: unknown) => caught);
    expect(error).to.be.instanceOf(DatabaseError).and.to.be.instanceOf(StoreError);
    expect(error).to.have.property('code', 'DATABASE_UNAVAILABLE');
    expect(error).to.have.nested.property('cause.code', 'ECONNREFUSED');
    expect(error).to.have.property('message').that.does.not.match(/SELECT|CREATE|INSERT/i);
  });
});

for (const target of await testDatabases()) {
  describe(`database (${target.name})`, function () {
    this.timeout(60_000);
    const db = useDatabase(target);

    it('answers ping and reports its kind', async () => {
      expect(await db().ping()).to.equal(true);
      expect(db().kind).to.equal(target.kind);
    });

    it('a transaction commits when its work resolves and rolls back everything when it throws', async () => {
      await db().query('CREATE TABLE tx_probe (n integer NOT NULL)');
      expect(await db().transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe VALUES (1)');
        await tx.query('INSERT INTO tx_probe VALUES (2)');
        return 'done';
      })).to.equal('done');
      const failed: unknown = await db()
        .transaction(async (tx) => {
          await tx.query('INSERT INTO tx_probe VALUES (3)');
          throw new Error('the work failed half-way');
        })
        .catch((error: unknown) => error);
      expect(failed).to.have.property('message', 'the work failed half-way');
      expect(numbers.parse(await db().query('SELECT n FROM tx_probe ORDER BY n'))).to.deep.equal([{ n: 1 }, { n: 2 }]);
    });

    it('refuses a query on a transaction that has already finished, instead of running it outside the transaction', async () => {
      let leaked: { query: (sql: string) => Promise<unknown[]> } | undefined;
      await db().transaction((tx) => {
        leaked = tx;
        return Promise.resolve();
      });
      const error: unknown = await leaked?.query('INSERT INTO tx_probe VALUES (4)').catch((caught: unknown) => caught);
      expect(error).to.be.instanceOf(Error).and.to.have.property('message', 'the transaction is already finished');
      expect(numbers.parse(await db().query('SELECT n FROM tx_probe WHERE n = 4'))).to.deep.equal([]);
    });

    it('a failed statement inside a transaction rolls it back and leaves the connection usable', async () => {
      const error: unknown = await db()
        .transaction(async (tx) => {
          await tx.query('INSERT INTO tx_probe VALUES (5)');
          await tx.query('INSERT INTO tx_probe VALUES (NULL)');
        })
        .catch((caught: unknown) => caught);
      expect(error).to.not.be.instanceOf(DatabaseError);
      expect(error).to.have.property('code', '23502');
      expect(numbers.parse(await db().query('SELECT n FROM tx_probe WHERE n = 5'))).to.deep.equal([]);
      expect(await db().ping()).to.equal(true);
    });

    it('keeps its data across close and reopen (PGlite: in <dataDir>/pglite)', async () => {
      await db().close();
      const reopened = await target.open();
      try {
        expect(numbers.parse(await reopened.query('SELECT n FROM tx_probe ORDER BY n'))).to.deep.equal([{ n: 1 }, { n: 2 }]);
        if (target.kind === 'pglite') expect(existsSync(join(target.options.dataDir, 'pglite', 'PG_VERSION'))).to.equal(true);
      } finally {
        await reopened.close();
      }
    });
  });
}
