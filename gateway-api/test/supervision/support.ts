import { expect } from 'chai';
import { z } from 'zod';
import type { TestGateway } from '../support/gateway.js';
import { TestDevice } from '../evidence/devices.js';
import { uid } from '../http/helpers.js';

/** What the supervision suites share: a pledged receipt on a lot, a device placed on it, readings in device time. */

const minute = 60_000;

export const ruleReply = z.object({ data: z.looseObject({ ruleId: z.string(), version: z.number(), hash: z.string(), retired: z.boolean(), versions: z.number() }) });
export const ruleListReply = z.object({ data: z.array(z.looseObject({ ruleId: z.string(), version: z.number(), owner: z.object({ mspId: z.string(), userId: z.string() }) })), next: z.string().nullable() });
export const alarmShape = z.looseObject({
  id: z.string(),
  ruleId: z.string(),
  kind: z.string(),
  severity: z.string(),
  status: z.string(),
  latched: z.boolean(),
  acknowledgement: z.string(),
  startedAt: z.string(),
  clearedAt: z.string().nullable(),
  subject: z.object({ deviceId: z.string().nullable(), lotId: z.string().nullable(), warehouseId: z.string() }),
  stats: z.looseObject({ count: z.number(), min: z.number().nullable(), max: z.number().nullable(), outOfRangeMs: z.number() }),
  raisedBy: z.array(z.object({ evidenceId: z.string(), leafHash: z.string() })),
  clearedBy: z.array(z.object({ evidenceId: z.string(), leafHash: z.string() })),
  ledger: z.array(z.object({ action: z.string(), status: z.string(), txId: z.string().nullable(), lastError: z.string().nullable() })),
});
export type AlarmShape = z.infer<typeof alarmShape>;
export const alarmReply = z.object({ data: alarmShape });
export const alarmListReply = z.object({ data: z.array(alarmShape), next: z.string().nullable() });
const created = z.object({ data: z.looseObject({ id: z.string() }) });

export interface PledgedLot {
  readonly warehouseId: string;
  readonly lotId: string;
  readonly receiptId: string;
}

/** A lot in a new warehouse with one receipt of alice's, pledged to LenderMSP. */
export async function pledgedLot(gw: TestGateway, options: { readonly quantity?: string; readonly receipted?: string; readonly warehouseId?: string } = {}): Promise<PledgedLot> {
  const warehouseId = options.warehouseId ?? uid('WH-COLD');
  const lotId = uid('LOT-COLD');
  const ok = async (who: string, method: string, path: string, body: unknown, status: number): Promise<unknown> => {
    const reply = await gw.request(who, method, path, { body });
    expect(reply.status, `${method} ${path}: ${reply.text.slice(0, 400)}`).to.equal(status);
    return reply.body;
  };
  await ok('custodian.clerk', 'POST', '/v1/lots', { id: lotId, warehouseId, location: 'cold room 3', commodity: 'frozen shrimp', unit: 'kg', quantity: options.quantity ?? '1000' }, 201);
  const receiptId = created.parse(await ok('custodian.clerk', 'POST', '/v1/receipts', { id: uid('WR-COLD'), lotId, owner: 'alice', quantity: options.receipted ?? '800' }, 201)).data.id;
  await ok('custodian.supervisor', 'POST', `/v1/receipts/${receiptId}/confirm`, {}, 200);
  await ok('borrower.alice', 'POST', `/v1/receipts/${receiptId}/pledge-request`, { lender: 'LenderMSP', loanReference: uid('LOAN'), loanAmount: '2000000', currency: 'CNY' }, 200);
  await ok('lender.officer', 'POST', `/v1/receipts/${receiptId}/pledge-acceptance`, {}, 200);
  await gw.gateway.projectionCaughtUp();
  return { warehouseId, lotId, receiptId };
}

/** A device of `kind` registered in the warehouse and placed on the lot. */
export async function placedDevice(gw: TestGateway, at: { readonly warehouseId: string; readonly lotId: string }, kind = 'temperature'): Promise<TestDevice> {
  const device = new TestDevice(uid('TEMP-COLD'), 'Ed25519');
  const registered = await gw.request('custodian.supervisor', 'POST', '/v1/devices', { body: { ...device.registration(at.warehouseId), kind } });
  expect(registered.status, registered.text).to.equal(201);
  const placed = await gw.request('custodian.supervisor', 'POST', `/v1/devices/${device.id}/placement`, { body: { lotId: at.lotId, location: 'cold room 3, rack A' } });
  expect(placed.status, placed.text).to.equal(201);
  return device;
}

/** One reading a minute of device time from `start`: `values[i]` at start + i minutes, seqs from `firstSeq`. */
export function series(device: TestDevice, start: number, values: readonly number[], firstSeq = 1, metric = 'temperature', unit = 'Cel'): { envelope: unknown; signature: string }[] {
  return values.map((value, index) =>
    device.item(firstSeq + index, { ts: new Date(start + index * minute).toISOString(), readings: [{ sensor: 'probe-1', kind: metric, value, unit }] }),
  );
}

/** Submits items in batches of `size` and expects every one accepted. */
export async function submit(gw: TestGateway, items: readonly unknown[], size = 100): Promise<void> {
  for (let from = 0; from < items.length; from += size) {
    const reply = await gw.request('custodian.device-gateway', 'POST', '/v1/evidence', { body: { items: items.slice(from, from + size) } });
    expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
    const accepted = z.object({ data: z.object({ accepted: z.number(), rejected: z.number(), items: z.array(z.looseObject({ status: z.string() })) }) }).parse(reply.body).data;
    expect(accepted.rejected, JSON.stringify(accepted.items.filter((item) => item.status !== 'accepted')).slice(0, 400)).to.equal(0);
  }
}

/** The alarms `who` sees, with a query string. */
export async function alarmsSeen(gw: TestGateway, who: string, query = ''): Promise<AlarmShape[]> {
  const reply = await gw.request(who, 'GET', `/v1/alarms${query}`);
  expect(reply.status, reply.text.slice(0, 400)).to.equal(200);
  return alarmListReply.parse(reply.body).data;
}

export { minute };
