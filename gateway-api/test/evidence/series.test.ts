import { expect } from 'chai';
import { z } from 'zod';
import { useGateway } from '../http/helpers.js';
import { testDatabases } from '../support/postgres.js';
import { TestDevice } from './devices.js';

const series = z.object({
  data: z.object({
    deviceId: z.string(),
    kind: z.string(),
    from: z.string(),
    to: z.string(),
    bucketSeconds: z.number(),
    buckets: z.array(z.object({ start: z.string(), count: z.number(), min: z.number(), max: z.number(), avg: z.number() })),
  }),
});

for (const target of await testDatabases()) {
  describe(`reading series downsampled on the server, and the device list (${target.name})`, function () {
    this.timeout(60_000);
    const suite = useGateway(target);
    const device = new TestDevice(`TEMP-SERIES-${target.kind}`, 'Ed25519');
    // Ten minutes ago, on a whole minute, so that the slots below are whole minutes too.
    const start = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000;
    const at = (seconds: number): string => new Date(start + seconds * 1000).toISOString();

    before(async () => {
      const { gateway } = suite().api;
      expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: device.registration('WH-SERIES') })).status).to.equal(201);
      // Minute 0: 4.0, 9.5 (a spike), 4.5; minute 1: 5.0; minute 3: 6.0, with a humidity reading and a text value beside.
      const readings: [number, { kind: string; value: unknown }[]][] = [
        [0, [{ kind: 'temperature', value: 4 }]],
        [20, [{ kind: 'temperature', value: 9.5 }]],
        [40, [{ kind: 'temperature', value: 4.5 }, { kind: 'door', value: 'open' }]],
        [60, [{ kind: 'temperature', value: 5 }]],
        [180, [{ kind: 'temperature', value: 6 }, { kind: 'humidity', value: 71 }]],
      ];
      const items = readings.map(([seconds, values], index) => device.item(index + 1, { ts: at(seconds), readings: values }));
      const reply = await gateway.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items } });
      expect(reply.status, reply.text).to.equal(200);
    });

    const get = (who: string, query: string) => suite().api.gateway.request(who, 'GET', `/v1/devices/${device.id}/series?${query}`);

    it('gives each time slot that holds values its count, min, max and mean; empty slots are left out, not zeros', async () => {
      const reply = await get('custodian.auditor', `kind=temperature&from=${at(0)}&to=${at(300)}&buckets=5`);
      expect(reply.status, reply.text).to.equal(200);
      const { data } = series.parse(reply.body);
      expect(data.bucketSeconds).to.equal(60);
      expect(data.buckets).to.deep.equal([
        { start: at(0), count: 3, min: 4, max: 9.5, avg: 6 },
        { start: at(60), count: 1, min: 5, max: 5, avg: 5 },
        { start: at(180), count: 1, min: 6, max: 6, avg: 6 },
      ]);
    });

    it('reads slots of an hour or more from the hourly sums, with the same counts and extremes', async () => {
      const to = new Date(start + 2 * 86_400_000);
      const reply = await get('custodian.clerk', `kind=temperature&from=${new Date(start - 2 * 86_400_000).toISOString()}&to=${to.toISOString()}&buckets=16`);
      const { data } = series.parse(reply.body);
      // 4 days in 16 slots: 6 hours each, from a whole hour.
      expect(data.bucketSeconds).to.equal(6 * 3600);
      expect(new Date(data.from).getTime() % 3_600_000).to.equal(0);
      const counted = data.buckets.reduce((sum, bucket) => sum + bucket.count, 0);
      expect([counted, Math.min(...data.buckets.map((b) => b.min)), Math.max(...data.buckets.map((b) => b.max))]).to.deep.equal([5, 4, 9.5]);
    });

    it('moves `from` back to a whole minute when slots come from the per-minute sums, and says so', async () => {
      const { data } = series.parse((await get('custodian.clerk', `kind=temperature&from=${at(30)}&to=${at(330)}&buckets=5`)).body);
      expect([data.from, data.bucketSeconds]).to.deep.equal([at(0), 60]);
      expect(data.buckets[0]).to.deep.equal({ start: at(0), count: 3, min: 4, max: 9.5, avg: 6 });
    });

    it('keeps to the kind asked for and to [from, to), and holds only numeric values', async () => {
      const humidity = series.parse((await get('custodian.clerk', `kind=humidity&from=${at(0)}&to=${at(300)}&buckets=1`)).body).data;
      expect(humidity.buckets.map((bucket) => [bucket.count, bucket.min])).to.deep.equal([[1, 71]]);
      expect(series.parse((await get('custodian.clerk', `kind=door&from=${at(0)}&to=${at(300)}`)).body).data.buckets).to.deep.equal([]);
      const middle = series.parse((await get('custodian.clerk', `kind=temperature&from=${at(20)}&to=${at(60)}&buckets=1`)).body).data;
      expect(middle.buckets.map((bucket) => [bucket.count, bucket.min, bucket.max])).to.deep.equal([[2, 4.5, 9.5]]);
    });

    it('refuses a range that ends before it starts, too many buckets, an unknown device and a caller outside the warehouse', async () => {
      expect((await get('custodian.clerk', `kind=temperature&from=${at(60)}&to=${at(0)}`)).status).to.equal(400);
      expect((await get('custodian.clerk', 'kind=temperature&buckets=2001')).status).to.equal(400);
      expect((await get('custodian.clerk', 'from=2026-01-01T00:00:00Z')).status, 'kind is required').to.equal(400);
      const unknown = await suite().api.gateway.request('custodian.clerk', 'GET', '/v1/devices/NO-SUCH-DEVICE/series?kind=temperature');
      expect([unknown.status, (unknown.body as { code: string }).code]).to.deep.equal([404, 'DEVICE_NOT_FOUND']);
      expect((await get('lender.officer', 'kind=temperature')).status).to.equal(403);
    });

    it('lists devices by warehouse, a page at a time', async () => {
      const { gateway } = suite().api;
      const second = new TestDevice(`TEMP-SERIES-${target.kind}-2`, 'ECDSA-P256');
      expect((await gateway.request('custodian.supervisor', 'POST', '/v1/devices', { body: second.registration('WH-SERIES') })).status).to.equal(201);
      const first = await gateway.request('custodian.clerk', 'GET', '/v1/devices?warehouseId=WH-SERIES&limit=1');
      expect(first.status, first.text).to.equal(200);
      const page = first.body as { data: { id: string }[]; next: string | null };
      expect(page.data.map((each) => each.id)).to.deep.equal([device.id]);
      const rest = (await gateway.request('custodian.clerk', 'GET', `/v1/devices?warehouseId=WH-SERIES&limit=1&after=${page.next ?? ''}`)).body as typeof page;
      expect([rest.data.map((each) => each.id), rest.next]).to.deep.equal([[second.id], null]);
      expect((await gateway.request('borrower.alice', 'GET', '/v1/devices')).status).to.equal(403);
    });
  });
}
