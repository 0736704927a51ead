import { expect } from 'chai';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import type { Database } from '../../src/db/database.js';
import { expectProblem } from '../http/helpers.js';
import { startTestGateway, type Reply, type TestGateway } from '../support/gateway.js';
import { testDatabases, type TestDatabase } from '../support/postgres.js';
import { expectedLeafHash, TestDevice, type Algorithm } from './devices.js';

const targets = await testDatabases();

const accepted = z.strictObject({
  status: z.literal('accepted'),
  id: z.string().regex(/^ev_[0-9A-HJKMNP-TV-Z]{26}$/),
  leafHash: z.string().regex(/^0x[0-9a-f]{64}$/),
  leafIndex: z.number().int().nonnegative(),
  seqGap: z.strictObject({ fromSeq: z.number().int(), toSeq: z.number().int() }).optional(),
});
const rejected = z.strictObject({ status: z.literal('rejected'), code: z.string(), message: z.string().min(1) });
const batchReply = z.strictObject({
  data: z.strictObject({
    receivedAt: z.iso.datetime(),
    accepted: z.number().int(),
    rejected: z.number().int(),
    items: z.array(z.discriminatedUnion('status', [accepted, rejected])),
  }),
});
type BatchData = z.infer<typeof batchReply>['data'];
const evidenceReply = z.strictObject({
  data: z.strictObject({
    id: z.string(),
    kind: z.enum(['device-reading', 'document', 'ledger-event']),
    record: z.unknown(),
    leafHash: z.string(),
    leafIndex: z.number().int(),
    deviceId: z.string().nullable(),
    seqGap: z.strictObject({ fromSeq: z.number().int(), toSeq: z.number().int() }).nullable(),
    lotId: z.string().nullable(),
    receiptId: z.string().nullable(),
    submittedBy: z.string(),
    receivedAt: z.string(),
    checkpointSeq: z.number().int().nullable(),
  }),
});
const deviceReply = z.strictObject({
  data: z.strictObject({
    id: z.string(),
    warehouseId: z.string(),
    kind: z.string(),
    algorithm: z.enum(['Ed25519', 'ECDSA-P256']),
    publicKey: z.string(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    deactivatedAt: z.string().nullable(),
    placement: z.strictObject({ deviceId: z.string(), lotId: z.string().nullable(), location: z.string().nullable(), placedBy: z.string(), placedAt: z.string() }).nullable(),
  }),
});

const runTag = Date.now().toString(36).toUpperCase();
let counter = 0;
const deviceIdFor = (label: string): string => `DEV-${label}-${runTag}-${(++counter).toString()}`;

for (const target of targets) {
  describe(`Evidence intake over HTTP on ${target.name}`, function () {
    this.timeout(60_000);
    let gateway: TestGateway | undefined;
    /** What the suite expects in the database at the end: every accepted leaf and every refused item. */
    const ledger = { leaves: [] as { id: string; leafIndex: number; leafHash: string }[], rejections: 0 };

    before(async function () {
      this.timeout(120_000);
      gateway = await startTestGateway(target);
    });
    after(async function () {
      this.timeout(60_000);
      await gateway?.close();
      await target.cleanup();
    });
    const gw = (): TestGateway => {
      if (gateway === undefined) throw new Error('the gateway is not running');
      return gateway;
    };

    const register = async (algorithm: Algorithm, label = algorithm === 'Ed25519' ? 'ED' : 'EC'): Promise<TestDevice> => {
      const device = new TestDevice(deviceIdFor(label), algorithm);
      const reply = await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration() });
      expect(reply.status, reply.text).to.equal(201);
      return device;
    };

    /** POSTs a batch as the device gateway; returns its results and records them for the final database check. */
    const submit = async (items: unknown[], headers: Record<string, string> = {}): Promise<BatchData> => {
      const reply = await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items }, headers });
      expect(reply.status, reply.text.slice(0, 500)).to.equal(200);
      const data = batchReply.parse(reply.body).data;
      expect(data.items).to.have.length(items.length);
      if (reply.headers.get('idempotent-replayed') !== 'true') {
        for (const item of data.items) {
          if (item.status === 'accepted') ledger.leaves.push({ id: item.id, leafIndex: item.leafIndex, leafHash: item.leafHash });
          else ledger.rejections++;
        }
      }
      return data;
    };

    const acceptedItem = (data: BatchData, index: number): z.infer<typeof accepted> => accepted.parse(data.items[index]);
    const rejectedCode = (data: BatchData, index: number): string => rejected.parse(data.items[index]).code;
    /** The next leaf index the gateway will assign, as far as this suite has seen (every leaf it stored is recorded). */
    const nextLeafIndex = (): number => ledger.leaves.length;

    describe('devices', () => {
      it('a custodian supervisor registers an Ed25519 and a P-256 device; GET returns the key as SPKI PEM, active', async () => {
        for (const algorithm of ['Ed25519', 'ECDSA-P256'] as const) {
          const device = await register(algorithm);
          const reply = await gw().request('custodian.auditor', 'GET', `/v1/devices/${device.id}`);
          expect(reply.status, reply.text).to.equal(200);
          const data = deviceReply.parse(reply.body).data;
          expect(data).to.deep.include({ id: device.id, algorithm, publicKey: device.publicKeyPem, active: true, createdBy: 'custodian.supervisor', deactivatedAt: null });
        }
      });

      it('a key that is not an SPKI key of the stated algorithm is 400 INVALID_PUBLIC_KEY, and no device is created', async () => {
        const ed = new TestDevice(deviceIdFor('BAD'), 'Ed25519');
        const ec = new TestDevice(deviceIdFor('BAD'), 'ECDSA-P256');
        const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
        const privatePem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
        const cases: [string, Record<string, unknown>][] = [
          ['an Ed25519 key said to be P-256', { ...ed.registration(), algorithm: 'ECDSA-P256' }],
          ['a P-256 key said to be Ed25519', { ...ec.registration(), algorithm: 'Ed25519', id: ed.id }],
          ['a secp256k1 key', { ...ec.registration(), publicKey: k1 }],
          ['a private key', { ...ed.registration(), publicKey: privatePem }],
          ['PEM armour around garbage', { ...ed.registration(), publicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' }],
          ['no PEM at all', { ...ed.registration(), publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' }],
        ];
        for (const [label, body] of cases) {
          const reply = await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body });
          expect(reply.status, `${label}: ${reply.text}`).to.equal(400);
          expectProblem(reply, 400, 'INVALID_PUBLIC_KEY');
        }
        for (const id of [ed.id, ec.id]) expectProblem(await gw().request('custodian.auditor', 'GET', `/v1/devices/${id}`), 404, 'DEVICE_NOT_FOUND');
      });

      it('registering an id twice is 409 DEVICE_EXISTS and keeps the first key', async () => {
        const device = await register('Ed25519');
        const other = new TestDevice(device.id, 'ECDSA-P256');
        expectProblem(await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body: other.registration() }), 409, 'DEVICE_EXISTS');
        const data = deviceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${device.id}`)).body).data;
        expect(data.publicKey).to.equal(device.publicKeyPem);
      });

      it('only a custodian supervisor registers or deactivates devices: others are 403 FORBIDDEN', async () => {
        const device = await register('Ed25519');
        const candidate = new TestDevice(deviceIdFor('ROLE'), 'Ed25519');
        for (const who of ['custodian.clerk', 'custodian.device-gateway', 'custodian.auditor', 'lender.officer', 'borrower.alice']) {
          expectProblem(await gw().request(who, 'POST', '/v1/devices', { body: candidate.registration() }), 403, 'FORBIDDEN');
          expectProblem(await gw().request(who, 'POST', `/v1/devices/${device.id}/deactivate`), 403, 'FORBIDDEN');
        }
        expectProblem(await gw().request('lender.officer', 'GET', `/v1/devices/${device.id}`), 403, 'FORBIDDEN');
        expectProblem(await gw().request('custodian.auditor', 'GET', `/v1/devices/${candidate.id}`), 404, 'DEVICE_NOT_FOUND');
        expect(deviceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${device.id}`)).body).data.active).to.equal(true);
      });

      it('a malformed registration is 400 VALIDATION_FAILED', async () => {
        const device = new TestDevice(deviceIdFor('MAL'), 'Ed25519');
        for (const body of [
          { ...device.registration(), algorithm: 'RSA' },
          { ...device.registration(), id: '-leading-symbol' },
          { ...device.registration(), extra: true },
          { id: device.id },
        ]) {
          expectProblem(await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body }), 400, 'VALIDATION_FAILED');
        }
      });
    });

    describe('POST /v1/evidence', () => {
      it('a valid batch from an Ed25519 and a P-256 device is accepted; each leafHash is SHA-256(0x00 || JCS(record))', async () => {
        const ed = await register('Ed25519');
        const ec = await register('ECDSA-P256');
        const items = [ed.item(1), ec.item(1), ed.item(2, { attachments: [{ sha256: 'ab'.repeat(32), mediaType: 'image/jpeg', name: 'door.jpg' }] })];
        const first = nextLeafIndex();
        const data = await submit(items);
        expect([data.accepted, data.rejected]).to.deep.equal([3, 0]);
        for (const [index, item] of items.entries()) {
          const result = acceptedItem(data, index);
          const record = { type: 'device-reading', envelope: item.envelope, signature: item.signature, receivedAt: data.receivedAt };
          expect(result.leafHash, `item ${index.toString()}`).to.equal(expectedLeafHash(record));
          expect(result.leafIndex, 'leaves are numbered in the batch order, after every earlier one').to.equal(first + index);
          expect(result.seqGap).to.equal(undefined);
        }
      });

      it('GET /v1/evidence/{id} returns exactly the stored record, its leaf and links', async () => {
        const device = await register('ECDSA-P256');
        const item = { ...device.item(7, { readings: [{ kind: 'door', value: { open: true, angle: 90.5 }, sensor: 'door-2', extra: [1, 'two', null] }] }), lotId: 'LOT-QD-0001' };
        const data = await submit([item]);
        const result = acceptedItem(data, 0);
        const reply = await gw().request('custodian.auditor', 'GET', `/v1/evidence/${result.id}`);
        expect(reply.status, reply.text).to.equal(200);
        const stored = evidenceReply.parse(reply.body).data;
        const record = { type: 'device-reading', envelope: item.envelope, signature: item.signature, receivedAt: data.receivedAt };
        expect(stored.record).to.deep.equal(record);
        expect(stored).to.deep.include({
          id: result.id,
          kind: 'device-reading',
          leafHash: expectedLeafHash(record),
          leafIndex: result.leafIndex,
          deviceId: device.id,
          seqGap: null,
          lotId: 'LOT-QD-0001',
          receiptId: null,
          submittedBy: 'custodian.device-gateway',
          receivedAt: data.receivedAt,
          checkpointSeq: null,
        });
        expect(stored.leafHash).to.equal(expectedLeafHash(stored.record));
        expectProblem(await gw().request('custodian.auditor', 'GET', '/v1/evidence/ev_NOSUCHTHING'), 404, 'EVIDENCE_NOT_FOUND');
      });

      it('each bad item is refused with its own code and stores nothing; the good item after them takes the next leaf index', async () => {
        const device = await register('Ed25519');
        const inactive = await register('ECDSA-P256');
        expect((await gw().request('custodian.supervisor', 'POST', `/v1/devices/${inactive.id}/deactivate`)).status).to.equal(200);
        const stranger = new TestDevice(deviceIdFor('UNREG'), 'Ed25519');
        await submit([device.item(10)]);

        const tampered = device.item(11);
        tampered.envelope.readings = [{ kind: 'temperature', value: -18 }];
        const otherKey = new TestDevice(device.id, 'Ed25519').item(11);
        const hour = 3_600_000;
        const huge = device.item(11, { readings: Array.from({ length: 200 }, (_, n) => ({ kind: 'temperature', value: n, note: 'x'.repeat(100) })) });
        // The same signature bytes spelled with a padding bit set: it verifies, but the bundle's verifier takes one spelling.
        const valid = device.item(11);
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
        const last = valid.signature.length - 3;
        const respelled = `${valid.signature.slice(0, last)}${alphabet[alphabet.indexOf(valid.signature.charAt(last)) ^ 1] ?? ''}==`;
        expect(Buffer.from(respelled, 'base64').equals(Buffer.from(valid.signature, 'base64'))).to.equal(true);
        const cases: [string, unknown][] = [
          ['BAD_SIGNATURE', tampered],
          ['BAD_SIGNATURE', otherKey],
          ['BAD_SIGNATURE', { ...device.item(11), signature: Buffer.alloc(64).toString('base64') }],
          ['UNKNOWN_DEVICE', stranger.item(1)],
          ['DEVICE_INACTIVE', inactive.item(1)],
          ['SEQ_REPLAY', device.item(10)],
          ['SEQ_NOT_INCREASING', device.item(9)],
          ['TS_OUT_OF_WINDOW', device.item(11, { ts: new Date(Date.now() + hour).toISOString() })],
          ['TS_OUT_OF_WINDOW', device.item(11, { ts: new Date(Date.now() - 25 * hour).toISOString() })],
          ['ENVELOPE_TOO_LARGE', huge],
          ['MALFORMED_ITEM', { envelope: device.envelope(11) }],
          ['MALFORMED_ITEM', { ...device.item(11), extra: 1 }],
          ['MALFORMED_ITEM', { ...device.item(11), signature: 'not base64!' }],
          ['MALFORMED_ITEM', { ...valid, signature: respelled }],
          // RFC 8785 takes I-JSON, which has no lone surrogates: such an envelope has no JCS bytes to check or anchor.
          ['MALFORMED_ITEM', device.item(11, { readings: [{ kind: 'temperature', value: 'probe \ud800' }] })],
          ['MALFORMED_ITEM', device.item(11, { ts: '2026-11-20 08:00' })],
          ['MALFORMED_ITEM', device.item(11, { seq: -1 })],
          ['MALFORMED_ITEM', device.item(11, { readings: [{ value: 1 }] })],
          ['MALFORMED_ITEM', device.item(11, { readings: [{ kind: 'x', value: { a: { b: { c: { d: { e: 1 } } } } } }] })],
          ['MALFORMED_ITEM', device.item(11, { attachments: [{ sha256: 'not-a-hash' }] })],
          ['MALFORMED_ITEM', 'not an object'],
          ['MALFORMED_ITEM', null],
        ];
        for (const [code, item] of cases) {
          const data = await submit([item]);
          expect(rejectedCode(data, 0), `${code}: ${JSON.stringify(data.items[0]).slice(0, 300)}`).to.equal(code);
          expect([data.accepted, data.rejected]).to.deep.equal([0, 1]);
        }
        const next = nextLeafIndex();
        const after = await submit([device.item(11)]);
        expect(acceptedItem(after, 0).leafIndex, 'no refused item took a leaf').to.equal(next);
      });

      it('a gap in seq is accepted and recorded, in the response and on the stored evidence', async () => {
        const device = await register('Ed25519');
        await submit([device.item(1)]);
        const data = await submit([device.item(5)]);
        const result = acceptedItem(data, 0);
        expect(result.seqGap).to.deep.equal({ fromSeq: 2, toSeq: 4 });
        const stored = evidenceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${result.id}`)).body).data;
        expect(stored.seqGap).to.deep.equal({ fromSeq: 2, toSeq: 4 });
        // the skipped numbers cannot be filled in afterwards
        expect(rejectedCode(await submit([device.item(3)]), 0)).to.equal('SEQ_NOT_INCREASING');
      });

      it("a batch mixing good and bad items stores exactly the good ones; one device's items are taken in order", async () => {
        const device = await register('ECDSA-P256');
        const other = await register('Ed25519');
        const bad = device.item(3);
        bad.signature = device.sign({ ...bad.envelope, seq: 99 });
        const items = [device.item(1), bad, other.item(1), device.item(2), device.item(2), device.item(1), { nonsense: true }, device.item(4)];
        const first = nextLeafIndex();
        const data = await submit(items);
        expect(data.items.map((item) => (item.status === 'accepted' ? 'ok' : item.code))).to.deep.equal([
          'ok',
          'BAD_SIGNATURE',
          'ok',
          'ok',
          'SEQ_REPLAY',
          'SEQ_REPLAY',
          'MALFORMED_ITEM',
          'ok',
        ]);
        expect([data.accepted, data.rejected]).to.deep.equal([4, 4]);
        expect([0, 2, 3, 7].map((index) => acceptedItem(data, index).leafIndex)).to.deep.equal([first, first + 1, first + 2, first + 3]);
        // seq 3 was refused (bad signature), so 4 after 2 is a gap of exactly the refused one
        expect(acceptedItem(data, 7).seqGap).to.deep.equal({ fromSeq: 3, toSeq: 3 });
      });

      it('two concurrent batches carrying the same seq accept it once; the other is SEQ_REPLAY', async () => {
        const device = await register('Ed25519');
        for (let seq = 1; seq <= 4; seq++) {
          const item = device.item(seq);
          const [a, b] = await Promise.all([submit([item]), submit([item])]);
          const outcomes = [a, b].map((data) => (data.items[0]?.status === 'accepted' ? 'accepted' : rejectedCode(data, 0))).sort();
          expect(outcomes, `seq ${seq.toString()}`).to.deep.equal(['SEQ_REPLAY', 'accepted']);
        }
        // and different seqs sent concurrently are all taken, whatever order the batches commit in
        const results = await Promise.all([10, 11, 12, 13].map((seq) => submit([device.item(seq)])));
        const statuses = results.map((data) => (data.items[0]?.status === 'accepted' ? 'accepted' : rejectedCode(data, 0)));
        expect(statuses.filter((status) => status === 'accepted').length).to.be.greaterThan(0);
        for (const status of statuses) expect(['accepted', 'SEQ_NOT_INCREASING']).to.include(status);
      });

      it('more items than a batch may hold is 413 BATCH_TOO_LARGE; an empty or malformed batch is 400', async () => {
        const device = await register('Ed25519');
        const next = nextLeafIndex();
        const items = [device.item(1), ...Array.from({ length: 1000 }, () => ({}))];
        expectProblem(await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } }), 413, 'BATCH_TOO_LARGE');
        for (const body of [{ items: [] }, {}, { items: {} }, { items: [device.item(1)], extra: 1 }, []]) {
          expectProblem(await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body }), 400, 'VALIDATION_FAILED');
        }
        // nested far deeper than anything may walk recursively (with an Idempotency-Key, whose hash walks the body)
        const deep = `{"items":[${'['.repeat(5000)}1${']'.repeat(5000)}]}`;
        const headers = { 'content-type': 'application/json', 'idempotency-key': `deep-${runTag}` };
        expectProblem(await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { rawBody: deep, headers }), 400, 'VALIDATION_FAILED');
        expect(acceptedItem(await submit([device.item(1)]), 0).leafIndex, 'the refused batches stored nothing').to.equal(next);
      });

      it('only the custodian device gateway posts evidence (403 for a clerk, a supervisor, a lender); reading it is the custodian\'s', async () => {
        const device = await register('Ed25519');
        for (const who of ['custodian.clerk', 'custodian.supervisor', 'lender.officer', 'borrower.alice']) {
          expectProblem(await gw().request(who, 'POST', '/v1/evidence', { body: { items: [device.item(1)] } }), 403, 'FORBIDDEN');
        }
        expectProblem(await gw().request(null, 'POST', '/v1/evidence', { body: { items: [device.item(1)] } }), 401, 'UNAUTHENTICATED');
        const result = acceptedItem(await submit([device.item(1)]), 0);
        for (const who of ['custodian.clerk', 'custodian.supervisor', 'custodian.auditor', 'custodian.device-gateway']) {
          expect((await gw().request(who, 'GET', `/v1/evidence/${result.id}`)).status, who).to.equal(200);
        }
        for (const who of ['lender.officer', 'lender.auditor', 'borrower.alice', 'borrower.auditor']) {
          expectProblem(await gw().request(who, 'GET', `/v1/evidence/${result.id}`), 403, 'FORBIDDEN');
        }
      });

      it('the same batch with the same Idempotency-Key is answered again without being stored twice', async () => {
        const device = await register('Ed25519');
        const body = [device.item(1), device.item(2)];
        const key = `ev-${runTag}-${(++counter).toString()}`;
        const first = await submit(body, { 'idempotency-key': key });
        const again = await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: body }, headers: { 'idempotency-key': key } });
        expect(again.status).to.equal(200);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        expect(batchReply.parse(again.body).data).to.deep.equal(first);
        // without the key the same items are replays
        expect((await submit(body)).items.map((item) => (item.status === 'rejected' ? item.code : 'ok'))).to.deep.equal(['SEQ_REPLAY', 'SEQ_REPLAY']);
      });

      if (target.kind === 'postgres') {
        it('a device deactivated by another gateway on the database is refused, though this one read it as active before', async () => {
          const device = await register('Ed25519');
          acceptedItem(await submit([device.item(1)]), 0);
          // Another gateway's deactivation: straight on the shared database, so this gateway's memory of the device is stale.
          const other = await target.open();
          try {
            await other.query('UPDATE devices SET active = false, deactivated_at = now(), deactivated_by = $2 WHERE id = $1', [device.id, 'other-gateway']);
          } finally {
            await other.close();
          }
          expect(rejectedCode(await submit([device.item(2)]), 0)).to.equal('DEVICE_INACTIVE');
        });
      }

      it('a device deactivated after its readings keeps its evidence and may submit no more', async () => {
        const device = await register('ECDSA-P256');
        const result = acceptedItem(await submit([device.item(1)]), 0);
        const reply = await gw().request('custodian.supervisor', 'POST', `/v1/devices/${device.id}/deactivate`);
        expect(reply.status, reply.text).to.equal(200);
        expect(deviceReply.parse(reply.body).data).to.deep.include({ active: false });
        expect(rejectedCode(await submit([device.item(2)]), 0)).to.equal('DEVICE_INACTIVE');
        expect((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${result.id}`)).status).to.equal(200);
        expectProblem(await gw().request('custodian.supervisor', 'POST', '/v1/devices/NO-SUCH-DEVICE/deactivate'), 404, 'DEVICE_NOT_FOUND');
      });
    });

    describe('documents', () => {
      const content = Buffer.from(`weighbridge ticket 88121, gross 41.20 t, tare 15.05 t, ${runTag}`);
      const sha256 = createHash('sha256').update(content).digest('hex');
      const upload = (hash: string, bytes: Uint8Array, who = 'custodian.clerk', type = 'application/octet-stream'): Promise<Reply> =>
        gw().request(who, 'PUT', `/v1/documents/${hash}/content`, { rawBody: bytes, headers: { 'content-type': type } });

      it('a registered document is evidence: a leaf over {type: document, sha256, ...}, returned by GET /v1/evidence/{id}', async () => {
        const body = { sha256: `0x${sha256}`, mediaType: 'text/plain', name: 'ticket 88121.txt', size: content.byteLength, lotId: 'LOT-QD-0001' };
        const reply = await gw().request('custodian.clerk', 'POST', '/v1/documents', { body });
        expect(reply.status, reply.text).to.equal(201);
        const data = z
          .object({ data: z.object({ id: z.string(), leafHash: z.string(), leafIndex: z.number(), document: z.object({ contentStored: z.boolean() }).loose() }) })
          .parse(reply.body).data;
        ledger.leaves.push({ id: data.id, leafIndex: data.leafIndex, leafHash: data.leafHash });
        expect(data.leafIndex).to.equal(ledger.leaves.length - 1);
        expect(data.document.contentStored).to.equal(false);
        const stored = evidenceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${data.id}`)).body).data;
        expect(stored.kind).to.equal('document');
        expect(stored.record).to.deep.equal({
          type: 'document',
          sha256: `0x${sha256}`,
          mediaType: 'text/plain',
          name: 'ticket 88121.txt',
          size: content.byteLength,
          lotId: 'LOT-QD-0001',
          submittedBy: 'custodian.clerk',
          receivedAt: stored.receivedAt,
        });
        expect(stored.leafHash).to.equal(data.leafHash).and.to.equal(expectedLeafHash(stored.record));
        expect(stored.lotId).to.equal('LOT-QD-0001');
      });

      it('content whose hash or size is not the registered one is refused and not kept; the right bytes are stored', async () => {
        const wrong = Buffer.from(content);
        wrong[0] = (wrong[0] ?? 0) ^ 1;
        expectProblem(await upload(sha256, wrong), 400, 'CONTENT_HASH_MISMATCH');
        expectProblem(await upload(sha256, content.subarray(1)), 400, 'CONTENT_SIZE_MISMATCH');
        expectProblem(await upload(sha256, Buffer.concat([content, Buffer.of(0)])), 400, 'CONTENT_SIZE_MISMATCH');
        const objectPath = join(gw().dataDir, 'objects', sha256);
        const missing = await readFile(objectPath).then(
          () => false,
          () => true,
        );
        expect(missing, 'nothing stored under the hash').to.equal(true);
        const reply = await upload(sha256, content);
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.body).to.deep.equal({ data: { sha256: `0x${sha256}`, size: content.byteLength, contentStored: true } });
        expect(await readFile(objectPath)).to.deep.equal(content);
        // content-addressed: repeating the upload is harmless
        expect((await upload(sha256, content, 'custodian.device-gateway')).status).to.equal(200);
      });

      it('uploads for unregistered hashes, in another media type, or by other roles are refused', async () => {
        const unknown = createHash('sha256').update('never registered').digest('hex');
        expectProblem(await upload(unknown, Buffer.from('never registered')), 404, 'DOCUMENT_NOT_FOUND');
        expectProblem(await upload(sha256, content, 'custodian.clerk', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
        expectProblem(await upload('not-a-hash', content), 400, 'VALIDATION_FAILED');
        expectProblem(await upload(sha256, content, 'custodian.auditor'), 403, 'FORBIDDEN');
        expectProblem(await upload(sha256, content, 'lender.officer'), 403, 'FORBIDDEN');
        const body = { sha256, mediaType: 'text/plain', name: 'x', size: 1 };
        expectProblem(await gw().request('custodian.auditor', 'POST', '/v1/documents', { body }), 403, 'FORBIDDEN');
        expectProblem(await gw().request('custodian.clerk', 'POST', '/v1/documents', { body: { ...body, size: -1 } }), 400, 'VALIDATION_FAILED');
        expectProblem(await gw().request('custodian.clerk', 'POST', '/v1/documents', { body }), 400, 'CONTENT_SIZE_MISMATCH');
      });
    });

    describe('documentation and storage', () => {
      it('/openapi.json documents every evidence route with its request and response schemas and examples', async () => {
        const document = z
          .object({ paths: z.record(z.string(), z.record(z.string(), z.looseObject({ operationId: z.string(), responses: z.record(z.string(), z.unknown()) }))), components: z.looseObject({ schemas: z.record(z.string(), z.looseObject({})) }) })
          .parse((await gw().request(null, 'GET', '/openapi.json')).body);
        const routes = ['post /v1/devices', 'get /v1/devices/{id}', 'post /v1/devices/{id}/deactivate', 'post /v1/evidence', 'get /v1/evidence/{id}', 'post /v1/documents', 'put /v1/documents/{hash}/content'];
        for (const route of routes) {
          const [method = '', path = ''] = route.split(' ');
          const operation = document.paths[path]?.[method];
          expect(operation, route).to.not.equal(undefined);
          expect(Object.keys(operation?.responses ?? {}), route).to.include.members(['400', '401', '403']);
        }
        for (const name of ['DeviceRegistration', 'Device', 'EvidenceBatch', 'EvidenceBatchResult', 'Evidence', 'DocumentRegistration', 'DocumentRegistered', 'DocumentContentStored']) {
          expect(document.components.schemas[name]?.example, name).to.not.equal(undefined);
        }
      });

      // Last (mocha runs a suite's own tests before its nested suites, so this sits in the last nested one): it stops
      // the gateway to read the database (PGlite serves one connection, the gateway's).
      it('the database holds exactly the accepted leaves, numbered 0..n-1 without a gap, every refusal, and an audit entry per write', async function () {
        this.timeout(120_000);
        let counts: { evidence: { id: string; leafIndex: number; leafHash: string }[]; rejections: number; audits: Record<string, number> } | undefined;
        gateway = await gw().restart(async () => {
          counts = await readDatabase(target);
        });
        if (counts === undefined) throw new Error('the database was not read');
        const byIndex = [...ledger.leaves].sort((a, b) => a.leafIndex - b.leafIndex);
        expect(counts.evidence).to.deep.equal(byIndex);
        expect(counts.evidence.map((leaf) => leaf.leafIndex)).to.deep.equal(counts.evidence.map((_, index) => index));
        expect(counts.rejections).to.equal(ledger.rejections);
        expect(counts.audits.SubmitEvidence).to.be.greaterThan(0);
        expect(counts.audits.RegisterDevice).to.be.greaterThan(0);
        expect(counts.audits.DeactivateDevice).to.equal(2);
        expect(counts.audits.RegisterDocument).to.equal(1);
        expect(counts.audits.StoreDocumentContent).to.equal(2);
      });
    });
  });
}

async function readDatabase(target: TestDatabase): Promise<{ evidence: { id: string; leafIndex: number; leafHash: string }[]; rejections: number; audits: Record<string, number> }> {
  if (target.kind === 'postgres' && target.options.databaseUrl !== undefined) {
    const client = new pg.Client({ connectionString: target.options.databaseUrl });
    await client.connect();
    try {
      return await readWith((sql) => client.query<Record<string, unknown>>(sql).then((result): unknown[] => result.rows));
    } finally {
      await client.end();
    }
  }
  const db: Database = await target.open();
  try {
    return await readWith((sql) => db.query(sql));
  } finally {
    await db.close();
  }
}

async function readWith(query: (sql: string) => Promise<unknown[]>) {
  const evidence = z
    .array(z.object({ id: z.string(), leaf_index: z.coerce.number(), leaf_hash: z.string() }))
    .parse(await query(`SELECT id, leaf_index, '0x' || encode(leaf_hash, 'hex') AS leaf_hash FROM evidence ORDER BY leaf_index`))
    .map((row) => ({ id: row.id, leafIndex: row.leaf_index, leafHash: row.leaf_hash }));
  const [rejections] = z.array(z.object({ count: z.coerce.number() })).parse(await query('SELECT count(*) AS count FROM evidence_rejections'));
  const audits = z
    .array(z.object({ tx_name: z.string(), count: z.coerce.number() }))
    .parse(await query(`SELECT tx_name, count(*) AS count FROM audit_log WHERE tx_name IS NOT NULL GROUP BY tx_name`));
  return { evidence, rejections: rejections?.count ?? -1, audits: Object.fromEntries(audits.map((row) => [row.tx_name, row.count])) };
}
