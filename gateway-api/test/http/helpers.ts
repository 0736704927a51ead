import { encumbrance, receiptView, type ReceiptView } from '@wr/chaincode/responses';
import type { ReceiptStatus } from '@wr/chaincode/transitions';
import { expect } from 'chai';
import pg from 'pg';
import { z } from 'zod';
import { operations, type Operation } from '../../src/modules/receipts/operations.js';
import { startTestGateway, type Reply, type RequestOptions, type TestGateway } from '../support/gateway.js';
import type { TestDatabase } from '../support/postgres.js';

/**
 * What the HTTP suites share: response parsing (problem+json and the {data, transaction} envelope), an API client
 * driven by the operation table, fixtures that bring receipts into each state, and "nothing changed" snapshots.
 */

const runTag = Date.now().toString(36);
let counter = 0;

/** A fresh id for this run, valid for the chaincode's id pattern; children `.1`, `.2` stay valid. */
export function uid(prefix: string): string {
  counter++;
  return `${prefix}-${runTag}-${counter.toString()}`;
}

/** A problem document (RFC 9457) as the gateway renders it; extra members (txId, errors, ...) vary. */
export const problemSchema = z.looseObject({
  type: z.string().startsWith('urn:wr:problem:'),
  title: z.string().min(1),
  status: z.number().int(),
  code: z.string().regex(/^[A-Z][A-Z_]*$/),
  detail: z.string(),
  instance: z.string().startsWith('/'),
  requestId: z.string().min(1),
});
export type Problem = z.infer<typeof problemSchema>;

/** Asserts the reply is the problem+json refusal `status`/`code` and returns the parsed problem. */
export function expectProblem(reply: Reply, status: number, code: string): Problem {
  expect(reply.status, `expected ${status.toString()} ${code}, got ${reply.status.toString()} ${reply.text.slice(0, 500)}`).to.equal(status);
  const problem = parseProblem(reply);
  expect(problem.code, reply.text.slice(0, 500)).to.equal(code);
  return problem;
}

/** Asserts the reply is some well-formed problem+json document whose `status` and `requestId` match the response. */
export function parseProblem(reply: Reply): Problem {
  expect(reply.headers.get('content-type') ?? '', `content type of ${reply.status.toString()} ${reply.text.slice(0, 200)}`).to.match(
    /^application\/problem\+json\b/,
  );
  const problem = problemSchema.parse(reply.body);
  expect(problem.status).to.equal(reply.status);
  expect(problem.requestId).to.equal(reply.headers.get('x-request-id'));
  return problem;
}

const presentJson = z.custom<unknown>((value) => value !== undefined, 'data is required');
const transactionSchema = z.strictObject({ txId: z.string().regex(/^[0-9a-f]{64}$/), blockNumber: z.number().int().nonnegative() });
/** A write's envelope: exactly `data` and the committed transaction. */
export const writeEnvelope = z.strictObject({ data: presentJson, transaction: transactionSchema });
/** A read's envelope: exactly `data`. */
export const readEnvelope = z.strictObject({ data: presentJson });
/** GET /v1/receipts: a page from the projection. */
export const listEnvelope = z.strictObject({
  data: z.array(receiptView),
  next: z.string().nullable(),
  asOfBlock: z.number().int().nullable(),
});
export type ListPage = z.infer<typeof listEnvelope>;

export interface Written {
  readonly data: unknown;
  readonly txId: string;
  readonly blockNumber: number;
  readonly reply: Reply;
}

export interface CallOptions {
  /** The `{id}` path parameter. */
  readonly id?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The operation of the route table with this id (the suites are generated from the table, not from a copy of it). */
export function operation(operationId: string): Operation {
  const found = operations.find((op) => op.operationId === operationId);
  if (found === undefined) throw new Error(`no operation ${operationId} in the receipts module`);
  return found;
}

export function pathOf(op: Operation, id?: string): string {
  if (!op.path.includes('{id}')) return op.path;
  if (id === undefined) throw new Error(`${op.operationId} needs an id`);
  return op.path.replace('{id}', encodeURIComponent(id));
}

/** An API client over a test gateway, addressing routes by operationId. `gateway` is replaced after a restart. */
export class Api {
  /** Every operationId a successful `write` or `read` exercised. */
  readonly exercised = new Set<string>();

  constructor(
    public gateway: TestGateway,
    readonly target: TestDatabase,
  ) {}

  height(): number {
    const ledger = this.gateway.gateway.embeddedLedger;
    if (!ledger) throw new Error('these HTTP tests count blocks of the embedded ledger');
    return ledger.chainInfo().height;
  }

  request(who: string | null, method: string, path: string, options?: RequestOptions): Promise<Reply> {
    return this.gateway.request(who, method, path, options);
  }

  /** Sends an operation's request as `who`, whatever its outcome. */
  call(operationId: string, who: string | null, options: CallOptions = {}): Promise<Reply> {
    const op = operation(operationId);
    return this.gateway.request(who, op.method.toUpperCase(), pathOf(op, options.id), {
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
  }

  /**
   * A write that must succeed: the operation's success status, the {data, transaction} envelope, and exactly one new
   * block holding it (callers send writes one at a time).
   */
  async write(operationId: string, who: string, options: CallOptions = {}): Promise<Written> {
    const op = operation(operationId);
    expect(op.call.kind, `${operationId} is not a write`).to.equal('submit');
    const before = this.height();
    const reply = await this.call(operationId, who, options);
    expect(reply.status, `${operationId} as ${who}: ${reply.text.slice(0, 500)}`).to.equal(op.successStatus);
    expect(reply.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
    const envelope = writeEnvelope.parse(reply.body);
    expect(this.height(), `${operationId} commits one block`).to.equal(before + 1);
    expect(envelope.transaction.blockNumber, 'the block the transaction is in').to.equal(before);
    this.exercised.add(operationId);
    return { data: envelope.data, txId: envelope.transaction.txId, blockNumber: envelope.transaction.blockNumber, reply };
  }

  /** A read that must succeed with the {data} envelope and leave the ledger as it was. */
  async read(operationId: string, who: string, id: string): Promise<unknown> {
    const op = operation(operationId);
    expect(op.call.kind, `${operationId} is not a read`).to.equal('evaluate');
    const before = this.height();
    const reply = await this.call(operationId, who, { id });
    expect(reply.status, `${operationId} as ${who}: ${reply.text.slice(0, 500)}`).to.equal(op.successStatus);
    expect(this.height(), 'a read commits nothing').to.equal(before);
    this.exercised.add(operationId);
    return readEnvelope.parse(reply.body).data;
  }

  /** A receipt as the custodian's auditor (who sees every receipt of the custodian's warehouses) reads it. */
  async receipt(id: string, who = 'custodian.auditor'): Promise<ReceiptView> {
    return receiptView.parse(await this.read('getReceipt', who, id));
  }

  /** GET /v1/receipts as `who`, after the projection has caught up with the ledger. */
  async list(who: string, query = ''): Promise<ListPage> {
    if (this.height() > 1) await this.gateway.gateway.projectionCaughtUp();
    const reply = await this.request(who, 'GET', `/v1/receipts${query}`);
    expect(reply.status, reply.text.slice(0, 500)).to.equal(200);
    return listEnvelope.parse(reply.body);
  }
}

/** A valid body for each write, so that sweeps can send requests that only the check under test refuses. */
export interface BodyContext {
  /** The lot the body names (drafts, risk events on a lot). */
  readonly lotId: string;
  /** The receipt a risk event names. */
  readonly receiptId: string;
}

export const validBodies: Readonly<Record<string, (context: BodyContext) => Record<string, unknown>>> = {
  registerLot: () => ({
    id: uid('LOT'),
    warehouseId: 'WH-QD-01',
    location: 'Shed 3, bay 12',
    commodity: 'aluminium ingot A00',
    unit: 't',
    quantity: '1000.005',
    documents: [{ name: 'weighbridge ticket 88121', sha256: 'a3f1c2d4e5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778' }],
  }),
  recordStockCount: () => ({ quantity: '1000.005', reference: 'count by inspector Liu' }),
  draftReceipt: ({ lotId }) => ({ id: uid('WR'), lotId, owner: 'alice', quantity: '1', description: 'A00 ingots, 2 bundles' }),
  confirmReceipt: () => ({}),
  cancelDraft: () => ({ reason: 'documents incomplete' }),
  requestPledge: () => ({ lender: 'LenderMSP', loanReference: uid('LOAN'), loanAmount: '2000000', currency: 'CNY' }),
  acceptPledge: () => ({ releaseApprovalThreshold: '50' }),
  rejectPledge: () => ({ reason: 'collateral not eligible' }),
  releasePledge: () => ({ quantity: '10' }),
  approveRelease: () => ({}),
  rejectRelease: () => ({ reason: 'loan not repaid' }),
  requestReleaseOverride: () => ({ quantity: '30' }),
  overrideCovenant: () => ({ reason: 'the risk committee accepts the exposure' }),
  transferReceipt: () => ({ newOwner: 'bob' }),
  splitReceipt: () => ({ quantities: ['40', '60'] }),
  requestWithdrawal: () => ({}),
  confirmDelivery: () => ({}),
  freezeReceipt: () => ({ reason: 'margin call unanswered', reference: 'CASE-42' }),
  unfreezeReceipt: () => ({ reason: 'margin restored' }),
  declareDefault: () => ({ reason: 'instalments missed' }),
  disposeCollateral: () => ({ buyer: 'bob' }),
  recordRiskEvent: ({ receiptId }) => ({ id: uid('RISK'), receiptId, kind: 'TEMPERATURE_HIGH', severity: 'warning', detail: 'cold room 3 at 9.5 °C' }),
  resolveRiskEvent: () => ({ resolution: 'compressor repaired' }),
};

/** Fields of the valid bodies above that may be left out (leaving out any other one is malformed). */
export const optionalFields: Readonly<Record<string, readonly string[]>> = {
  registerLot: ['documents'],
  draftReceipt: ['description'],
  acceptPledge: ['releaseApprovalThreshold'],
};

export function validBody(operationId: string, context: BodyContext): Record<string, unknown> {
  const make = validBodies[operationId];
  if (make === undefined) throw new Error(`no valid body for ${operationId}`);
  return make(context);
}

/** The demo identity of a receipt owner (a BorrowerMSP user id). */
export const ownerIdentity = (owner: string): string => `borrower.${owner}`;

/** Builds lots, receipts in each state and risk events through the API. Receipts are 100 units of a fresh lot. */
export class Fixtures {
  constructor(private readonly api: Api) {}

  async lot(quantity = '1000'): Promise<string> {
    const body = { ...validBody('registerLot', { lotId: '', receiptId: '' }), quantity };
    await this.api.write('registerLot', 'custodian.clerk', { body });
    return z.object({ id: z.string() }).parse(body).id;
  }

  async draft(owner = 'alice', quantity = '100', lotId?: string): Promise<string> {
    const id = uid('WR');
    const lot = lotId ?? (await this.lot());
    await this.api.write('draftReceipt', 'custodian.clerk', { body: { id, lotId: lot, owner, quantity } });
    return id;
  }

  async issued(owner = 'alice', quantity = '100'): Promise<string> {
    const id = await this.draft(owner, quantity);
    await this.api.write('confirmReceipt', 'custodian.supervisor', { id });
    return id;
  }

  async pledgeRequested(owner = 'alice'): Promise<string> {
    const id = await this.issued(owner);
    await this.api.write('requestPledge', ownerIdentity(owner), { id, body: validBody('requestPledge', noContext) });
    return id;
  }

  async pledged(owner = 'alice', terms: Record<string, string> = {}): Promise<string> {
    const id = await this.pledgeRequested(owner);
    await this.api.write('acceptPledge', 'lender.officer', { id, body: terms });
    return id;
  }

  /**
   * A receipt of 100 t of a commodity of its own, marked at 10000 CNY/t, pledged alone to a loan of its own of
   * 500000 CNY (LTV 0.5 against the default warning line 0.7): releasing 30 t or more breaches the covenant.
   */
  async covenanted(owner = 'alice'): Promise<string> {
    const commodity = uid('copper');
    const mark = { commodity, unit: 't', price: '10000', currency: 'CNY', source: 'test desk', asOf: new Date(Date.now() - 60_000).toISOString() };
    const marked = await this.api.request('custodian.oracle', 'POST', '/v1/prices', { body: mark });
    expect(marked.status, marked.text).to.equal(201);
    const lotId = uid('LOT');
    await this.api.write('registerLot', 'custodian.clerk', { body: { ...validBody('registerLot', noContext), id: lotId, commodity, unit: 't', quantity: '100' } });
    const id = await this.draft(owner, '100', lotId);
    await this.api.write('confirmReceipt', 'custodian.supervisor', { id });
    await this.api.write('requestPledge', ownerIdentity(owner), { id, body: { lender: 'LenderMSP', loanReference: uid('LOAN'), loanAmount: '500000', currency: 'CNY' } });
    await this.api.write('acceptPledge', 'lender.officer', { id, body: {} });
    return id;
  }

  async defaulted(owner = 'alice'): Promise<string> {
    const id = await this.pledged(owner);
    await this.api.write('declareDefault', 'lender.approver', { id, body: { reason: 'instalments missed' } });
    return id;
  }

  async withdrawalRequested(owner = 'alice'): Promise<string> {
    const id = await this.issued(owner);
    await this.api.write('requestWithdrawal', ownerIdentity(owner), { id });
    return id;
  }

  /** A receipt of `owner` in `status` (one of the live states a transaction starts from). */
  async inState(status: ReceiptStatus, owner = 'alice'): Promise<string> {
    switch (status) {
      case 'DRAFT':
        return this.draft(owner);
      case 'ISSUED':
        return this.issued(owner);
      case 'PLEDGE_REQUESTED':
        return this.pledgeRequested(owner);
      case 'PLEDGED':
        return this.pledged(owner);
      case 'DEFAULTED':
        return this.defaulted(owner);
      case 'WITHDRAWAL_REQUESTED':
        return this.withdrawalRequested(owner);
      default:
        throw new Error(`no fixture for ${status}`);
    }
  }

  /** An open warning (no hold) on a receipt; returns its id. */
  async riskEvent(receiptId: string): Promise<string> {
    const body = validBody('recordRiskEvent', { lotId: '', receiptId });
    await this.api.write('recordRiskEvent', 'custodian.device-gateway', { body });
    return z.object({ id: z.string() }).parse(body).id;
  }
}

const noContext: BodyContext = { lotId: '', receiptId: '' };

/** What "nothing changed" compares: ledger height, receipts as the ledger holds them, the projection, the audit log. */
export interface Snapshot {
  readonly height: number;
  readonly receipts: Readonly<Record<string, unknown>>;
  readonly lots: Readonly<Record<string, unknown>>;
  readonly list: ListPage;
  /** Rows in the audit log: counted on a real PostgreSQL (a second connection); PGlite allows only the gateway's. */
  readonly auditRows: number | undefined;
}

/**
 * Reads everything a refused request could have changed: the ledger height; for each receipt its state, encumbrance
 * (without its `asOf` clock) and history; each lot; the projection's listing; the audit log's size.
 */
export async function snapshot(api: Api, receiptIds: readonly string[], lotIds: readonly string[] = []): Promise<Snapshot> {
  const receipts: Record<string, unknown> = {};
  for (const id of receiptIds) {
    const held = encumbrance.parse(await api.read('getEncumbrance', 'custodian.auditor', id));
    receipts[id] = {
      receipt: await api.receipt(id),
      encumbrance: without(held, ['asOf']),
      history: await api.read('getReceiptHistory', 'custodian.auditor', id),
    };
  }
  const lots: Record<string, unknown> = {};
  for (const id of lotIds) lots[id] = await api.read('getLot', 'custodian.auditor', id);
  return { height: api.height(), receipts, lots, list: await api.list('custodian.auditor', '?limit=1000'), auditRows: await auditRows(api.target) };
}

/** Asserts that nothing `before` recorded has changed. */
export async function expectUnchanged(api: Api, before: Snapshot): Promise<void> {
  const after = await snapshot(api, Object.keys(before.receipts), Object.keys(before.lots));
  expect(after.height, 'ledger height').to.equal(before.height);
  expect(after.receipts, 'receipts, encumbrances and histories').to.deep.equal(before.receipts);
  expect(after.lots, 'lots').to.deep.equal(before.lots);
  expect(after.list, 'the projection').to.deep.equal(before.list);
  expect(after.auditRows, 'audit log rows').to.equal(before.auditRows);
}

async function auditRows(target: TestDatabase): Promise<number | undefined> {
  if (target.options.databaseUrl === undefined) return undefined;
  const client = new pg.Client({ connectionString: target.options.databaseUrl });
  await client.connect();
  try {
    const result = await client.query('SELECT count(*) AS count FROM audit_log');
    return z.object({ count: z.coerce.number().int() }).parse(result.rows[0]).count;
  } finally {
    await client.end();
  }
}

/** Replaces every occurrence of each id (raw or percent-encoded) in a JSON value's strings with a placeholder. */
export function withoutIds(value: unknown, ids: readonly string[]): unknown {
  if (typeof value === 'string') {
    let text = value;
    for (const id of ids) text = text.replaceAll(encodeURIComponent(id), '<id>').replaceAll(id, '<id>');
    return text;
  }
  if (Array.isArray(value)) return value.map((item) => withoutIds(item, ids));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutIds(item, ids)]));
  }
  return value;
}

/** A problem with what legitimately differs between two requests removed: request and transaction ids, the ids named. */
export function comparableProblem(problem: Problem, ids: readonly string[]): unknown {
  return withoutIds(without(problem, ['requestId', 'txId']), ids);
}

/** A copy of an object without some of its properties. */
export function without(value: object, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}

export const writeOperations: readonly Operation[] = operations.filter((op) => op.call.kind === 'submit');

/** A running gateway and its fixtures, for the tests of one suite. */
export interface Suite {
  readonly api: Api;
  readonly fixtures: Fixtures;
}

/**
 * Starts the real gateway over `target` before the suite's tests, and closes it and removes the database after them;
 * returns a getter for use inside the tests.
 */
export function useGateway(target: TestDatabase, env: Readonly<Record<string, string>> = {}): () => Suite {
  let suite: Suite | undefined;
  before(async function () {
    this.timeout(120_000);
    const api = new Api(await startTestGateway(target, env), target);
    suite = { api, fixtures: new Fixtures(api) };
  });
  after(async function () {
    this.timeout(60_000);
    await suite?.api.gateway.close();
    await target.cleanup();
  });
  return () => {
    if (suite === undefined) throw new Error(`the gateway on ${target.name} is not running`);
    return suite;
  };
}
