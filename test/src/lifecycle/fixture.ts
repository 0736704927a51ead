import { lotRecord, receiptView, type Lot, type OrgKind, type ReceiptStatus, type ReceiptView } from '@wr/chaincode';
import { LedgerError, type Identity } from '@wr/gateway-api';
import { expect } from 'chai';
import { startWorld, type World } from '../support/world.js';

/** Everyone who takes part in the lifecycle tests; `zhangAsSupervisor` and `wangAsApprover` share a CN with a maker. */
export interface Cast {
  readonly clerk: Identity;
  readonly supervisor: Identity;
  readonly zhangAsSupervisor: Identity;
  readonly custodianAuditor: Identity;
  readonly deviceGateway: Identity;
  readonly officer: Identity;
  readonly approver: Identity;
  readonly wangAsApprover: Identity;
  readonly lenderAuditor: Identity;
  readonly alice: Identity;
  readonly bob: Identity;
  readonly borrowerAuditor: Identity;
  readonly oracle: Identity;
}

/** Organisation kind and role of each cast member, as their certificates say. */
export const castRoles = {
  clerk: { org: 'custodian', role: 'clerk' },
  supervisor: { org: 'custodian', role: 'supervisor' },
  zhangAsSupervisor: { org: 'custodian', role: 'supervisor' },
  custodianAuditor: { org: 'custodian', role: 'auditor' },
  deviceGateway: { org: 'custodian', role: 'device-gateway' },
  officer: { org: 'lender', role: 'officer' },
  approver: { org: 'lender', role: 'approver' },
  wangAsApprover: { org: 'lender', role: 'approver' },
  lenderAuditor: { org: 'lender', role: 'auditor' },
  alice: { org: 'borrower', role: 'owner' },
  bob: { org: 'borrower', role: 'owner' },
  borrowerAuditor: { org: 'borrower', role: 'auditor' },
  oracle: { org: 'custodian', role: 'oracle' },
} as const satisfies Record<keyof Cast, { readonly org: OrgKind; readonly role: string }>;

/** Every cast member's name. */
export const castMembers: readonly (keyof Cast)[] = Object.keys(castRoles).filter(
  (name): name is keyof Cast => name in castRoles,
);

/** A fresh ledger, its cast and helpers that drive receipts into any state. */
export interface Fixture {
  readonly world: World;
  readonly cast: Cast;
  /** A new id, unique within this fixture. */
  id(prefix: string): string;
  registerLot(quantity: string): Promise<string>;
  draft(lotId: string, quantity: string, owner?: string): Promise<string>;
  /** A receipt brought to ISSUED (a new lot of exactly its quantity unless one is given). */
  issued(quantity?: string, lotId?: string): Promise<string>;
  pledgeRequested(quantity?: string): Promise<string>;
  pledged(quantity?: string, terms?: { readonly releaseApprovalThreshold?: string }): Promise<string>;
  /**
   * A receipt of 100 t of a commodity of its own, marked at 10000 CNY/t, pledged alone to a loan of its own of
   * 500000 CNY (LTV 0.5 against the default warning line 0.7): releasing 30 t or more would breach the covenant.
   */
  covenanted(): Promise<string>;
  /**
   * A fresh receipt of 100 t owned by alice, on its own lot of 100 t, brought to `status` along the ordinary path
   * (pledges name LenderMSP with a release approval threshold of 50; SPLIT is an owner's split into 40 + 60).
   */
  inState(status: ReceiptStatus): Promise<string>;
  /** The receipt as the custodian sees it. */
  receipt(id: string): Promise<ReceiptView>;
  lot(id: string): Promise<Lot>;
  close(): Promise<void>;
}

/** The lender every pledge in these tests names. */
export const lender = 'LenderMSP';

/** A `RecordCheckpoint` argument with placeholder hashes; `fields` override any of them. */
export function checkpointJson(seq: number, fields: object = {}): string {
  return JSON.stringify({
    seq,
    root: `0x${'1'.repeat(64)}`,
    hash: `0x${'2'.repeat(64)}`,
    leafCount: 3,
    firstLeafIndex: 0,
    anchor: { chainId: 31337, contract: `0x${'3'.repeat(40)}`, txHash: `0x${'4'.repeat(64)}`, blockNumber: 12 },
    ...fields,
  });
}

/** A `RegisterLot` argument in warehouse WH1. */
export function lotJson(id: string, quantity: string, fields: object = {}): string {
  const lot = { id, warehouseId: 'WH1', location: 'Qingdao A-3', commodity: 'aluminium', unit: 't', quantity };
  return JSON.stringify({ ...lot, ...fields });
}

/** A pledge request argument for `RequestPledge`. */
export function pledgeRequest(loanReference = 'LN-1', loanAmount = '500000'): string {
  return JSON.stringify({ lender, loanReference, loanAmount, currency: 'CNY' });
}

export async function startFixture(): Promise<Fixture> {
  const world = await startWorld();
  const identity = (mspId: string, user: string, role: string): Promise<Identity> => world.identity(mspId, user, role);
  const cast: Cast = {
    clerk: await identity('CustodianMSP', 'zhang', 'clerk'),
    supervisor: await identity('CustodianMSP', 'li', 'supervisor'),
    zhangAsSupervisor: await identity('CustodianMSP', 'zhang', 'supervisor'),
    custodianAuditor: await identity('CustodianMSP', 'zhao', 'auditor'),
    deviceGateway: await identity('CustodianMSP', 'gateway', 'device-gateway'),
    officer: await identity('LenderMSP', 'wang', 'officer'),
    approver: await identity('LenderMSP', 'chen', 'approver'),
    wangAsApprover: await identity('LenderMSP', 'wang', 'approver'),
    lenderAuditor: await identity('LenderMSP', 'sun', 'auditor'),
    alice: await identity('BorrowerMSP', 'alice', 'owner'),
    bob: await identity('BorrowerMSP', 'bob', 'owner'),
    borrowerAuditor: await identity('BorrowerMSP', 'qian', 'auditor'),
    oracle: await identity('CustodianMSP', 'feng', 'oracle'),
  };
  let counter = 0;
  const id = (prefix: string): string => `${prefix}${(++counter).toString()}`;

  const fixture: Fixture = {
    world,
    cast,
    id,
    async registerLot(quantity) {
      const lotId = id('LOT');
      await world.submit(cast.clerk, 'RegisterLot', lotJson(lotId, quantity));
      return lotId;
    },
    async draft(lotId, quantity, owner = 'alice') {
      const receiptId = id('R');
      await world.submit(cast.clerk, 'DraftReceipt', JSON.stringify({ id: receiptId, lotId, owner, quantity }));
      return receiptId;
    },
    async issued(quantity = '100', lotId) {
      const receiptId = await fixture.draft(lotId ?? (await fixture.registerLot(quantity)), quantity);
      await world.submit(cast.supervisor, 'ConfirmReceipt', receiptId);
      return receiptId;
    },
    async pledgeRequested(quantity) {
      const receiptId = await fixture.issued(quantity);
      await world.submit(cast.alice, 'RequestPledge', receiptId, pledgeRequest());
      return receiptId;
    },
    async pledged(quantity, terms = {}) {
      const receiptId = await fixture.pledgeRequested(quantity);
      await world.submit(cast.officer, 'AcceptPledge', receiptId, JSON.stringify(terms));
      return receiptId;
    },
    async covenanted() {
      const commodity = id('covenanted-');
      const lotId = id('LOT');
      await world.submit(cast.clerk, 'RegisterLot', lotJson(lotId, '100', { commodity }));
      const asOf = new Date(Date.now() - 60_000).toISOString();
      await world.submit(cast.oracle, 'RecordPrice', JSON.stringify({ commodity, unit: 't', price: '10000', currency: 'CNY', source: 'test', asOf }));
      const receiptId = await fixture.issued('100', lotId);
      await world.submit(cast.alice, 'RequestPledge', receiptId, pledgeRequest(id('LN-COV-')));
      await world.submit(cast.officer, 'AcceptPledge', receiptId, '{}');
      return receiptId;
    },
    async inState(status) {
      const submit = (who: Identity, tx: string, ...args: string[]): Promise<unknown> => world.submit(who, tx, ...args);
      if (status === 'DRAFT' || status === 'CANCELLED') {
        const receiptId = await fixture.draft(await fixture.registerLot('100'), '100');
        if (status === 'CANCELLED') await submit(cast.clerk, 'CancelDraft', receiptId, 'drafted in error');
        return receiptId;
      }
      if (status === 'PLEDGED' || status === 'DEFAULTED') {
        const receiptId = await fixture.pledged('100', { releaseApprovalThreshold: '50' });
        if (status === 'DEFAULTED') await submit(cast.approver, 'DeclareDefault', receiptId, 'loan payment missed');
        return receiptId;
      }
      if (status === 'PLEDGE_REQUESTED') return fixture.pledgeRequested('100');
      const receiptId = await fixture.issued('100');
      if (status === 'SPLIT') await submit(cast.alice, 'SplitReceipt', receiptId, '["40","60"]');
      if (status === 'WITHDRAWAL_REQUESTED' || status === 'DELIVERED') await submit(cast.alice, 'RequestWithdrawal', receiptId);
      if (status === 'DELIVERED') await submit(cast.supervisor, 'ConfirmDelivery', receiptId);
      return receiptId;
    },
    async receipt(receiptId) {
      return receiptView.parse(await world.evaluate(cast.supervisor, 'GetReceipt', receiptId));
    },
    async lot(lotId) {
      return lotRecord.parse(await world.evaluate(cast.supervisor, 'GetLot', lotId));
    },
    close: () => world.close(),
  };
  return fixture;
}

/** The LedgerError a call fails with; fails the test if the call succeeds or throws anything else. */
export async function refusal(call: Promise<unknown>): Promise<LedgerError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  expect.fail('expected the ledger to refuse the call, but it succeeded');
}

/** The code a call is refused with (see `refusal`). */
export async function codeOf(call: Promise<unknown>): Promise<string> {
  return (await refusal(call)).code;
}

/**
 * Asserts that a call is refused with `code` and changed nothing: the receipt and its lot read the same before and
 * after (compared in full, including updatedAt and lastTxId).
 */
export async function expectRefusedUnchanged(
  fixture: Fixture,
  receiptId: string,
  code: string,
  call: () => Promise<unknown>,
): Promise<void> {
  const before = await fixture.receipt(receiptId);
  const lotBefore = await fixture.lot(before.lotId);
  const error = await refusal(call());
  expect(error.code, error.message).to.equal(code);
  expect(await fixture.receipt(receiptId)).to.deep.equal(before);
  expect(await fixture.lot(before.lotId)).to.deep.equal(lotBefore);
}

/** `expectRefusedUnchanged` for the common case: `who` submits `tx` whose first argument is the receipt's id. */
export function expectSubmitRefused(
  fixture: Fixture,
  code: string,
  who: Identity,
  tx: string,
  receiptId: string,
  ...args: string[]
): Promise<void> {
  return expectRefusedUnchanged(fixture, receiptId, code, () => fixture.world.submit(who, tx, receiptId, ...args));
}
