import { verifyBundle } from '@wr/anchor';
import { startHardhatNode, type HardhatNode } from '@wr/anchor/dev';
import { checkpoint as checkpointRecord } from '@wr/chaincode/model';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { TestDevice } from '../evidence/devices.js';

const run = promisify(execFile);
const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
const targets = await testDatabases();
const e2eTargets = await testDatabases();
const sizeTargets = await testDatabases();

const acceptedIds = z.object({ data: z.object({ items: z.array(z.object({ status: z.literal('accepted'), id: z.string() })) }) });
const problem = z.object({ code: z.string() });
const bundleReply = z.object({ data: z.record(z.string(), z.unknown()) });

/** Registers a device and submits `count` signed readings; returns the evidence ids. */
async function ingest(gateway: TestGateway, device: TestDevice, firstSeq: number, count: number, link: { lotId?: string } = {}): Promise<string[]> {
  if (firstSeq === 1) {
    const registered = await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration() });
    expect(registered.status, registered.text).to.equal(201);
  }
  const items = Array.from({ length: count }, (_, i) => ({ ...device.item(firstSeq + i), ...link }));
  const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } });
  expect(reply.status, reply.text).to.equal(200);
  return acceptedIds.parse(reply.body).data.items.map((item) => item.id);
}

async function bundleOf(gateway: TestGateway, id: string): Promise<Record<string, unknown>> {
  const reply = await gateway.request('custodian.auditor', 'GET', `/v1/evidence/${id}/bundle`);
  expect(reply.status, reply.text).to.equal(200);
  return bundleReply.parse(reply.body).data;
}

const statuses = (result: Awaited<ReturnType<typeof verifyBundle>>): Record<string, string> =>
  Object.fromEntries(result.checks.map((check) => [check.name, check.status]));

for (const target of targets) describe(`evidence anchoring on the embedded dev chain (${target.name})`, function () {
  this.timeout(120_000);
  let gateway: TestGateway;
  const device = new TestDevice('TEMP-ANCHOR-1', 'Ed25519');
  const p256 = new TestDevice('LOADCELL-ANCHOR-2', 'ECDSA-P256');
  let first: string[] = [];
  let firstBundle: Record<string, unknown>;

  before(async () => {
    // A long interval: checkpoints are cut only when the test asks (anchoringSettled), so 409 can be observed.
    gateway = await startTestGateway(target, { ANCHOR_INTERVAL_MS: '3600000' });
  });
  after(async () => {
    await gateway?.close();
    await target.cleanup();
  });

  it('answers 409 NOT_YET_ANCHORED for evidence whose checkpoint is not anchored yet', async () => {
    first = await ingest(gateway, device, 1, 5, { lotId: 'LOT-QD-7' });
    const reply = await gateway.request('custodian.auditor', 'GET', `/v1/evidence/${first[0] ?? ''}/bundle`);
    expect(reply.status).to.equal(409);
    expect(problem.parse(reply.body).code).to.equal('NOT_YET_ANCHORED');
    expect((await gateway.request('custodian.auditor', 'GET', '/v1/evidence/ev_nothing/bundle')).status).to.equal(404);
  });

  it('cuts a checkpoint, anchors it, records it on the ledger, and every bundle verifies offline and against the chain', async () => {
    first.push(...(await ingest(gateway, p256, 1, 3)));
    await gateway.gateway.anchoringSettled();
    const rpc = gateway.gateway.anchorRpcUrl();
    expect(rpc).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const id of first) {
      const bundle = await bundleOf(gateway, id);
      const offline = await verifyBundle(bundle);
      expect(offline.ok, JSON.stringify(offline.checks)).to.equal(true);
      const online = await verifyBundle(bundle, { rpcUrl: rpc ?? '' });
      expect(statuses(online), JSON.stringify(online.checks)).to.deep.include({ anchor: 'VALID', 'device-signature': 'VALID', 'inclusion-proof': 'VALID' });
      expect(online.ok).to.equal(true);
    }
    firstBundle = await bundleOf(gateway, first[0] ?? '');
    expect(firstBundle).to.deep.include({ format: 'wr-evidence-bundle/1' });
    expect(firstBundle.checkpoint).to.deep.include({ seq: 0, leafCount: 8, firstLeafIndex: 0 });
    expect(firstBundle.ledger).to.deep.include({ lotId: 'LOT-QD-7', receiptId: null });

    // The ledger keeps the anchor beside the receipts: GetCheckpoint names the same root, hash and transaction.
    const recorded = await gateway.request('lender.officer', 'GET', '/v1/checkpoints/0');
    expect(recorded.status, recorded.text).to.equal(200);
    const view = z.object({ data: z.object({ root: z.string(), hash: z.string(), ledgerTxId: z.string(), anchor: z.object({ txHash: z.string() }) }) }).parse(recorded.body).data;
    const signer = await gateway.gateway.walletIdentity('custodian.auditor');
    if (!signer) throw new Error('no auditor identity');
    const onLedger = checkpointRecord.parse(JSON.parse(Buffer.from(await gateway.gateway.ledger.evaluate(signer, 'GetCheckpoint', ['0'])).toString('utf8')));
    expect(onLedger).to.deep.include({ root: view.root, hash: view.hash, txId: view.ledgerTxId });
    expect(onLedger.anchor.txHash).to.equal(view.anchor.txHash);
    expect((firstBundle.ledger as { txId: string }).txId).to.equal(view.ledgerTxId);
  });

  it('chains each checkpoint to the one before and lists them newest first', async () => {
    const more = await ingest(gateway, device, 6, 4);
    await gateway.gateway.anchoringSettled();
    const bundle = await bundleOf(gateway, more[3] ?? '');
    const list = z.object({ data: z.array(z.object({ seq: z.number(), hash: z.string(), prevHash: z.string(), firstLeafIndex: z.number() })) }).parse(
      (await gateway.request('borrower.alice', 'GET', '/v1/checkpoints?limit=10')).body,
    ).data;
    expect(list.map((c) => c.seq)).to.deep.equal([1, 0]);
    expect(list[0]?.prevHash).to.equal(list[1]?.hash);
    expect(list[0]?.firstLeafIndex).to.equal(8);
    expect(bundle.checkpoint).to.deep.include({ seq: 1, leafCount: 4, firstLeafIndex: 8 });
    expect(bundle.leaf).to.deep.include({ index: 3 });
    expect((await gateway.request('borrower.alice', 'GET', '/v1/checkpoints/7')).status).to.equal(404);
    expect((await gateway.request('borrower.alice', 'GET', '/v1/checkpoints/007')).status).to.equal(400);
    expect((await gateway.request('borrower.alice', 'GET', '/v1/evidence/x/bundle')).status, 'bundles are the custodian\'s to hand out').to.equal(403);
  });

  it('a bundle made before a restart still verifies against the dev chain after it, and anchoring goes on', async () => {
    gateway = await gateway.restart();
    await gateway.gateway.anchoringSettled();
    const after = await verifyBundle(firstBundle, { rpcUrl: gateway.gateway.anchorRpcUrl() ?? '' });
    expect(after.ok, JSON.stringify(after.checks)).to.equal(true);
    expect(await bundleOf(gateway, first[0] ?? '')).to.deep.equal(firstBundle);
    const later = await ingest(gateway, device, 10, 2);
    await gateway.gateway.anchoringSettled();
    const bundle = await bundleOf(gateway, later[0] ?? '');
    expect(bundle.checkpoint).to.deep.include({ seq: 2 });
    expect((await verifyBundle(bundle, { rpcUrl: gateway.gateway.anchorRpcUrl() ?? '' })).ok).to.equal(true);
  });

  it('reports the anchoring worker and its chain in /healthz', async () => {
    const health = z.object({ checks: z.object({ anchor: z.object({ status: z.string(), chain: z.string(), contract: z.string() }) }) }).parse(
      await (await fetch(`${gateway.url}/healthz`)).json(),
    );
    expect(health.checks.anchor).to.deep.include({ status: 'up', chain: 'dev-chain' });
    expect(health.checks.anchor.contract).to.match(/^0x[0-9a-f]{40}$/);
  });
});

describe('checkpoint sizes through the gateway: ANCHOR_MAX_LEAVES leaves at most (cut at once: worker.test.ts)', function () {
  this.timeout(120_000);
  const target = sizeTargets[0] ?? expect.fail('no test database');
  let gateway: TestGateway;
  before(async () => {
    gateway = await startTestGateway(target, { ANCHOR_MAX_LEAVES: '3', ANCHOR_INTERVAL_MS: '3600000' });
  });
  after(async () => {
    await gateway?.close();
    for (const each of sizeTargets) await each.cleanup();
  });

  it('seven leaves make checkpoints of 3, 3 and 1, also when settled with more than one checkpoint of leaves waiting', async () => {
    const ids = await ingest(gateway, new TestDevice('HUM-SIZE-1', 'Ed25519'), 1, 7);
    const listed = async (): Promise<number[]> =>
      z.object({ data: z.array(z.object({ leafCount: z.number() })) }).parse((await gateway.request('custodian.auditor', 'GET', '/v1/checkpoints')).body).data.map((c) => c.leafCount).reverse();
    await gateway.gateway.anchoringSettled();
    expect(await listed()).to.deep.equal([3, 3, 1]);
    expect((await bundleOf(gateway, ids[6] ?? '')).checkpoint).to.deep.include({ seq: 2, firstLeafIndex: 6, leafCount: 1 });

    // Settling right away, with more than one checkpoint's worth waiting, still anchors every leaf.
    const more = await ingest(gateway, new TestDevice('HUM-SIZE-2', 'ECDSA-P256'), 1, 7);
    await gateway.gateway.anchoringSettled();
    expect(await listed()).to.deep.equal([3, 3, 1, 3, 3, 1]);
    expect((await bundleOf(gateway, more[6] ?? '')).checkpoint).to.deep.include({ seq: 5, leafCount: 1 });
  });
});

describe('end to end: device -> HTTP -> checkpoint -> anchor on a hardhat node -> bundle -> npx wr-verify --rpc', function () {
  this.timeout(180_000);
  let node: HardhatNode;
  let gateway: TestGateway;
  let dir: string;
  const target = e2eTargets.at(-1) ?? expect.fail('no test database');

  before(async () => {
    node = await startHardhatNode();
    dir = await mkdtemp(join(tmpdir(), 'wr-e2e-'));
    gateway = await startTestGateway(target, { ANCHOR_RPC_URL: node.url, ANCHOR_PRIVATE_KEY: node.privateKey, ANCHOR_INTERVAL_MS: '200', ANCHOR_MAX_LEAVES: '4' });
  });
  after(async () => {
    await gateway?.close();
    for (const each of e2eTargets) await each.cleanup();
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the command line finds every check VALID, and a tampered bundle INVALID with exit status 1', async () => {
    const device = new TestDevice('DOOR-E2E-1', 'ECDSA-P256');
    const ids = await ingest(gateway, device, 1, 10);
    await gateway.gateway.anchoringSettled();
    const bundle = await bundleOf(gateway, ids[9] ?? '');
    expect(bundle.anchor).to.deep.include({ chainId: node.chainId });
    expect(bundle.checkpoint).to.deep.include({ leafCount: 2, seq: 2 });
    const file = join(dir, 'bundle.json');
    await writeFile(file, JSON.stringify(bundle, null, 2));
    const good = await run('npx', ['--no-install', 'wr-verify', file, '--rpc', node.url], { cwd: repoRoot });
    for (const check of ['format', 'device-signature', 'leaf-hash', 'inclusion-proof', 'checkpoint-hash', 'anchor']) {
      expect(good.stdout).to.match(new RegExp(`VALID\\s+${check}\\b`));
    }
    expect(good.stdout).to.not.match(/INVALID|ERROR/);

    const tampered = structuredClone(bundle) as { anchor: { blockNumber: number } };
    tampered.anchor.blockNumber += 1;
    await writeFile(file, JSON.stringify(tampered));
    const bad = await run('npx', ['--no-install', 'wr-verify', file, '--rpc', node.url], { cwd: repoRoot }).then(
      () => expect.fail('wr-verify accepted a bundle with a wrong block number'),
      (error: unknown) => z.object({ code: z.number(), stdout: z.string() }).parse(error),
    );
    expect(bad.code).to.equal(1);
    expect(bad.stdout).to.match(/INVALID\s+anchor\b/);
  });
});
