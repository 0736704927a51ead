import { loadConfig, startGateway, type Gateway } from '@wr/gateway-api/server';
import { jcsBytes, verifyBundle } from '@wr/anchor';
import { expect } from 'chai';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fabricUnavailable, freshChannel, gatewayBundle, networkDir } from './network.js';

describe('the gateway with LEDGER=fabric: the HTTP API over the real network', function () {
  this.timeout(120_000);
  let gateway: Gateway;
  let dir: string;

  before(async function () {
    const unavailable = fabricUnavailable();
    if (unavailable) {
      console.log(`    skipped: ${unavailable}`);
      this.skip();
    }
    // The bundle network/enroll wrote, pointed at a channel of its own so the listing below sees only this test.
    dir = await mkdtemp(join(tmpdir(), 'wr-gateway-fabric-'));
    const { bundle } = await gatewayBundle();
    const connection = join(dir, 'connection.json');
    await writeFile(connection, JSON.stringify({ ...bundle, channel: freshChannel(), wallet: join(networkDir, 'gateway', bundle.wallet) }));
    const config = loadConfig({ LEDGER: 'fabric', FABRIC_CONNECTION: connection, DEV_IDENTITIES: '1', DATA_DIR: join(dir, 'data'), PORT: '0', ANCHOR_DEV_RPC_PORT: '0', MQTT_PORT: '0', LOG_LEVEL: 'silent' });
    const { pino } = await import('pino');
    gateway = await startGateway(config, pino({ level: 'silent' }));
  });

  after(async () => {
    await gateway?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const call = async (who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const token = gateway.devTokens?.[who] ?? expect.fail(`no dev token for ${who}`);
    const response = await fetch(`${gateway.url}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('issues, pledges and partly releases a receipt through HTTP, with the ledger codes as HTTP statuses', async () => {
    expect((await call('custodian.clerk', 'POST', '/lots', { id: 'LOT-F', warehouseId: 'WH-1', location: 'Shed 3', commodity: 'aluminium', unit: 't', quantity: '1000.005' })).status).to.equal(201);
    expect((await call('custodian.clerk', 'POST', '/receipts', { id: 'WR-F', lotId: 'LOT-F', owner: 'alice', quantity: '500' })).status).to.equal(201);
    const overIssue = await call('custodian.clerk', 'POST', '/receipts', { id: 'WR-G', lotId: 'LOT-F', owner: 'bob', quantity: '600' });
    expect([overIssue.status, overIssue.body.code]).to.deep.equal([422, 'OVER_ISSUE']);
    const fourEyes = await call('custodian.clerk', 'POST', '/receipts/WR-F/confirm');
    expect(fourEyes.status).to.equal(403);
    expect((await call('custodian.supervisor', 'POST', '/receipts/WR-F/confirm')).status).to.equal(200);
    const request = { lender: 'LenderMSP', loanReference: 'LOAN-F', loanAmount: '2000000', currency: 'CNY' };
    expect((await call('borrower.alice', 'POST', '/receipts/WR-F/pledge-request', request)).status).to.equal(200);
    expect((await call('lender.officer', 'POST', '/receipts/WR-F/pledge-acceptance', {})).status).to.equal(200);
    const again = await call('borrower.alice', 'POST', '/receipts/WR-F/pledge-request', request);
    expect([again.status, again.body.code]).to.deep.equal([409, 'ALREADY_PLEDGED']);
    expect((await call('borrower.bob', 'GET', '/receipts/WR-F')).status).to.equal(404);

    expect((await call('lender.officer', 'POST', '/receipts/WR-F/release', { quantity: '200' })).status).to.equal(200);
    const rest = await call('lender.officer', 'GET', '/receipts/WR-F.2/encumbrance');
    expect(rest.body.data).to.deep.include({ status: 'PLEDGED', quantity: '300' });
  });

  it('lists receipts from the projection of the Fabric block events, and reports the Fabric ledger healthy', async () => {
    await gateway.projectionCaughtUp(30_000);
    const listed = await call('borrower.alice', 'GET', '/receipts?owner=alice');
    const items = listed.body.data as { id: string; status: string }[];
    expect(items.map((item) => [item.id, item.status])).to.deep.equal([
      ['WR-F', 'SPLIT'],
      ['WR-F.1', 'ISSUED'],
      ['WR-F.2', 'PLEDGED'],
    ]);
    const health = (await (await fetch(`${gateway.url}/healthz`)).json()) as { checks: { ledger: { status: string; kind: string; height: number }; projection: { lagBlocks: number } } };
    expect(health.checks.ledger).to.include({ status: 'up', kind: 'fabric' });
    expect(health.checks.ledger.height).to.be.greaterThan(5);
    expect(health.checks.projection.lagBlocks).to.equal(0);
  });

  it('anchors signed evidence and records the checkpoint on the Fabric ledger, where a lender reads it', async () => {
    const keys = generateKeyPairSync('ed25519');
    const device = { id: 'TEMP-F-1', warehouseId: 'WH-1', kind: 'temperature', algorithm: 'Ed25519', publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
    expect((await call('custodian.supervisor', 'POST', '/devices', device)).status).to.equal(201);
    const envelope = { deviceId: device.id, seq: 1, ts: new Date().toISOString(), readings: [{ sensor: 'probe', kind: 'temperature', value: 4.1, unit: 'Cel' }], attachments: [] };
    const item = { envelope, signature: sign(null, jcsBytes(envelope), keys.privateKey).toString('base64'), lotId: 'LOT-F' };
    const submitted = await call('custodian.device-gateway', 'POST', '/evidence', { items: [item] });
    const id = (submitted.body.data as { items: { id: string }[] }).items[0]?.id ?? expect.fail('not accepted');
    await gateway.anchoringSettled(60_000);
    const bundle = (await call('custodian.auditor', 'GET', `/evidence/${id}/bundle`)).body.data as { ledger: { txId: string } | null };
    expect((await verifyBundle(bundle, { rpcUrl: gateway.anchorRpcUrl() ?? '' })).ok).to.equal(true);
    const checkpoint = await call('lender.officer', 'GET', '/checkpoints/0');
    expect(checkpoint.body.data).to.deep.include({ ledgerTxId: bundle.ledger?.txId });
    expect(bundle.ledger?.txId).to.match(/^[0-9a-f]{64}$/);
  });
});
