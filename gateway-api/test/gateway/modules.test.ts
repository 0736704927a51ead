import { expect } from 'chai';
import { coreMigrations, readMigrations } from '../../src/db/migrate.js';
import { defaultModules } from '../../src/main.js';
import { devicesModule, leavesModule, readingsModule, receiptsModule } from '../../src/modules/index.js';
import { testDatabases, type TestDatabase } from '../support/postgres.js';
import { startTestGateway } from '../support/gateway.js';

/** A fresh PGlite database for one test, removed after it (as is any other database the suite was given). */
async function withDatabase<T>(run: (target: TestDatabase) => Promise<T>): Promise<T> {
  const targets = await testDatabases();
  try {
    const [pglite] = targets;
    if (pglite === undefined) throw new Error('no PGlite database');
    return await run(pglite);
  } finally {
    for (const target of targets) await target.cleanup();
  }
}

describe('the gateway started with only some modules', function () {
  this.timeout(60_000);

  it('serves the routes of the modules it starts, 404 for the others, and reports only their health', async () => {
    await withDatabase(async (target) => {
      const api = await startTestGateway(target, {}, { modules: [receiptsModule] });
      try {
        const lot = await api.request('custodian.clerk', 'POST', '/v1/lots', {
          body: { id: 'LOT-M-1', warehouseId: 'WH-1', location: 'shed 1', commodity: 'copper', unit: 't', quantity: '10' },
        });
        expect(lot.status, lot.text).to.equal(201);
        const devices = await api.request('custodian.supervisor', 'GET', '/v1/devices/D-1');
        expect(devices.status).to.equal(404);
        expect(devices.body).to.include({ code: 'ROUTE_NOT_FOUND' });
        const health = await api.request(null, 'GET', '/healthz');
        expect(health.status).to.equal(200);
        expect(Object.keys((health.body as { checks: object }).checks).sort()).to.deep.equal(['database', 'ledger', 'projection']);
        const documented = await api.request(null, 'GET', '/openapi.json');
        const paths = Object.keys((documented.body as { paths: object }).paths);
        expect(paths).to.include('/v1/lots');
        expect(paths).not.to.include('/v1/devices');
        // Waiting for anchors needs the anchoring module: it says so instead of waiting forever.
        const error: unknown = await api.gateway.anchoringSettled(1_000).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(String(error)).to.contain('the anchoring module is not started');
      } finally {
        await api.close();
      }
    });
  });

  it('refuses to start a module before one it uses, naming both, and leaves nothing running', async () => {
    await withDatabase(async (target) => {
      const error: unknown = await startTestGateway(target, {}, { modules: [devicesModule, readingsModule, leavesModule] }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(String(error)).to.match(/module leaves is used before it is started/);
      // The data folder's lock was released: the full gateway starts on the same data.
      const api = await startTestGateway(target);
      await api.close();
    });
  });

  it('every migration has exactly one owner, the shared infrastructure or one module, and names a file that exists', async () => {
    const files = (await readMigrations()).map((migration) => `${migration.version.toString().padStart(3, '0')}_${migration.name}`);
    const owners = [{ name: 'core', migrations: coreMigrations }, ...defaultModules];
    const owned = owners.flatMap((owner) => owner.migrations.map((migration) => ({ migration, owner: owner.name })));
    expect(owned.map((entry) => entry.migration).sort(), 'each file owned once').to.deep.equal([...files].sort());
    // New migrations carry their module's name, "-" written "_" as file names allow (older ones predate the modules
    // and keep their names and checksums).
    for (const { migration, owner } of owned.filter((entry) => Number(entry.migration.slice(0, 3)) > 6)) {
      expect(migration, `${migration} is ${owner}'s`).to.match(new RegExp(`^\\d{3}_${owner.replaceAll('-', '_')}_`));
    }
  });
});

