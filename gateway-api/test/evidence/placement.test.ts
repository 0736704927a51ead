import { expect } from 'chai';
import { z } from 'zod';
import { useTestGateway } from '../support/gateway.js';
import { testDatabases } from '../support/postgres.js';
import { expectProblem, uid } from '../http/helpers.js';
import { TestDevice } from './devices.js';

const targets = await testDatabases();

const placement = z.object({ deviceId: z.string(), lotId: z.string().nullable(), location: z.string().nullable(), placedBy: z.string(), placedAt: z.string() });
const placementReply = z.object({ data: placement });
const placementsReply = z.object({ data: z.array(placement) });
const deviceReply = z.object({ data: z.looseObject({ id: z.string(), placement: placement.nullable() }) });
const evidenceReply = z.object({ data: z.looseObject({ lotId: z.string().nullable() }) });
const batchReply = z.object({ data: z.object({ items: z.array(z.looseObject({ status: z.string(), id: z.string().optional() })) }) });

for (const target of targets) {
  describe(`Device placement on ${target.name}`, function () {
    this.timeout(60_000);
    const gw = useTestGateway(target);

    const lot = async (warehouseId: string): Promise<string> => {
      const id = uid('LOT-P');
      const reply = await gw().request('custodian.clerk', 'POST', '/v1/lots', { body: { id, warehouseId, location: 'shed 1', commodity: 'frozen shrimp', unit: 'kg', quantity: '1000' } });
      expect(reply.status, reply.text).to.equal(201);
      return id;
    };
    const device = async (warehouseId = 'WH-QD-01'): Promise<TestDevice> => {
      const created = new TestDevice(uid('TEMP-P'), 'Ed25519');
      const reply = await gw().request('custodian.supervisor', 'POST', '/v1/devices', { body: created.registration(warehouseId) });
      expect(reply.status, reply.text).to.equal(201);
      return created;
    };
    const place = (who: string, id: string, body: unknown, headers: Record<string, string> = {}) =>
      gw().request(who, 'POST', `/v1/devices/${encodeURIComponent(id)}/placement`, { body, headers });

    it('a supervisor places a device on a lot and moves it; GET shows where it is now, the history keeps every placement, newest first', async () => {
      const sensor = await device();
      const [first, second] = [await lot('WH-QD-01'), await lot('WH-QD-01')];
      const unplaced = deviceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}`)).body).data;
      expect(unplaced.placement).to.equal(null);

      const placed = await place('custodian.supervisor', sensor.id, { lotId: first, location: 'cold room 3, rack A' });
      expect(placed.status, placed.text).to.equal(201);
      expect(placementReply.parse(placed.body).data).to.deep.include({ deviceId: sensor.id, lotId: first, location: 'cold room 3, rack A', placedBy: 'custodian.supervisor' });
      const moved = await place('custodian.supervisor', sensor.id, { lotId: second });
      expect(moved.status, moved.text).to.equal(201);

      const now = deviceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}`)).body).data;
      expect(now.placement).to.deep.include({ lotId: second, location: null });
      const history = placementsReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}/placements`)).body).data;
      expect(history.map((entry) => entry.lotId)).to.deep.equal([second, first]);
    });

    it("a reading concerns the lot its device is placed on, unless the item names its own lot", async () => {
      const sensor = await device();
      const watched = await lot('WH-QD-01');
      expect((await place('custodian.supervisor', sensor.id, { lotId: watched })).status).to.equal(201);
      const reply = await gw().request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: [sensor.item(1), { ...sensor.item(2), lotId: 'LOT-NAMED' }] } });
      expect(reply.status, reply.text).to.equal(200);
      const ids = batchReply.parse(reply.body).data.items.map((item) => item.id ?? '');
      const lots = [];
      for (const id of ids) lots.push(evidenceReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/evidence/${id}`)).body).data.lotId);
      expect(lots).to.deep.equal([watched, 'LOT-NAMED']);
    });

    it('refuses, changing nothing: a lot of another warehouse (422), an unknown lot or device (404), a deactivated device (409), an empty or malformed body (400), anyone but a supervisor (403)', async () => {
      const sensor = await device();
      const elsewhere = await lot('WH-SH-02');
      expectProblem(await place('custodian.supervisor', sensor.id, { lotId: elsewhere }), 422, 'PLACEMENT_WAREHOUSE_MISMATCH');
      expectProblem(await place('custodian.supervisor', sensor.id, { lotId: 'LOT-NO-SUCH-LOT' }), 404, 'NOT_FOUND');
      expectProblem(await place('custodian.supervisor', 'TEMP-NO-SUCH-DEVICE', { location: 'shed 1' }), 404, 'DEVICE_NOT_FOUND');
      for (const body of [{}, { location: '' }, { location: 'x'.repeat(201) }, { lotId: 'bad id!' }, { lotId: 'LOT-1', extra: true }]) {
        expectProblem(await place('custodian.supervisor', sensor.id, body), 400, 'VALIDATION_FAILED');
      }
      for (const who of ['custodian.clerk', 'custodian.auditor', 'custodian.device-gateway', 'lender.officer', 'borrower.alice']) {
        expectProblem(await place(who, sensor.id, { location: 'shed 1' }), 403, 'FORBIDDEN');
      }
      expectProblem(await gw().request('lender.officer', 'GET', `/v1/devices/${sensor.id}/placements`), 403, 'FORBIDDEN');
      expectProblem(await gw().request('custodian.auditor', 'GET', '/v1/devices/TEMP-NO-SUCH-DEVICE/placements'), 404, 'DEVICE_NOT_FOUND');
      const history = placementsReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}/placements`)).body).data;
      expect(history, 'no refused placement was stored').to.deep.equal([]);

      expect((await gw().request('custodian.supervisor', 'POST', `/v1/devices/${sensor.id}/deactivate`)).status).to.equal(200);
      expectProblem(await place('custodian.supervisor', sensor.id, { location: 'shed 1' }), 409, 'DEVICE_INACTIVE');
    });

    it('the same placement with the same Idempotency-Key is stored once', async () => {
      const sensor = await device();
      const key = uid('place');
      const first = await place('custodian.supervisor', sensor.id, { location: 'dock 2' }, { 'idempotency-key': key });
      const again = await place('custodian.supervisor', sensor.id, { location: 'dock 2' }, { 'idempotency-key': key });
      expect([first.status, again.status]).to.deep.equal([201, 201]);
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.body).to.deep.equal(first.body);
      const history = placementsReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}/placements`)).body).data;
      expect(history).to.have.length(1);
    });

    it('the database keeps placements append-only', async () => {
      const sensor = await device();
      expect((await place('custodian.supervisor', sensor.id, { location: 'dock 3' })).status).to.equal(201);
      const refusals: unknown[] = [];
      // Read while the gateway is stopped: PGlite serves one process.
      await gw.restart(async () => {
        const db = await target.open();
        try {
          for (const sql of ['UPDATE device_placements SET location = $2 WHERE device_id = $1', 'DELETE FROM device_placements WHERE device_id = $1 AND $2::text IS NOT NULL']) {
            refusals.push(await db.query(sql, [sensor.id, 'elsewhere']).then(() => undefined, (caught: unknown) => caught));
          }
        } finally {
          await db.close();
        }
      });
      expect(refusals).to.have.length(2);
      for (const refusal of refusals) expect(refusal).to.be.instanceOf(Error);
      const history = placementsReply.parse((await gw().request('custodian.auditor', 'GET', `/v1/devices/${sensor.id}/placements`)).body).data;
      expect(history.map((entry) => entry.location)).to.deep.equal(['dock 3']);
    });
  });
}
