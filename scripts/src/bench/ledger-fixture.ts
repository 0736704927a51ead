import { EmbeddedLedger, openDevCa, type DevCa, type Identity } from '@wr/gateway-api';
import { join } from 'node:path';

/** Dev CAs of the three organisations under `dir`, and a way to open ledgers for them. */
export interface LedgerFixture {
  readonly custodian: DevCa;
  readonly lender: DevCa;
  readonly borrower: DevCa;
  open(name: string, contracts?: readonly unknown[]): Promise<EmbeddedLedger>;
}

export async function ledgerFixture(dir: string): Promise<LedgerFixture> {
  const [custodian, lender, borrower] = await Promise.all(['CustodianMSP', 'LenderMSP', 'BorrowerMSP'].map((msp) => openDevCa(join(dir, 'ca'), msp)));
  if (!custodian || !lender || !borrower) throw new Error('dev CAs missing');
  const orgs = [custodian, lender, borrower].map((ca) => ({ mspId: ca.mspId, rootCertificate: ca.certificate }));
  return {
    custodian,
    lender,
    borrower,
    open: (name, contracts) => EmbeddedLedger.open({ dataDir: join(dir, name), orgs, ...(contracts ? { contracts } : {}) }),
  };
}

/** The receipt flow's actors. */
export interface Actors {
  readonly clerk: Identity;
  readonly supervisor: Identity;
  readonly officer: Identity;
  readonly owner: Identity;
}

export async function actorsOf(fixture: LedgerFixture): Promise<Actors> {
  return {
    clerk: await fixture.custodian.issue('clerk', 'clerk'),
    supervisor: await fixture.custodian.issue('supervisor', 'supervisor'),
    officer: await fixture.lender.issue('officer', 'officer'),
    owner: await fixture.borrower.issue('alice', 'owner'),
  };
}

export const lotJson = (id: string): string =>
  JSON.stringify({ id, warehouseId: 'WH-1', location: 'A', commodity: 'copper cathode', unit: 't', quantity: '100000000' });

/** The five transitions of the pledge flow for receipt `id` on lot `lotId`, as [who, transaction, args]. */
export function pledgeFlow(actors: Actors, id: string, lotId: string): [Identity, string, string[]][] {
  return [
    [actors.clerk, 'DraftReceipt', [JSON.stringify({ id, lotId, owner: 'alice', quantity: '10.5' })]],
    [actors.supervisor, 'ConfirmReceipt', [id]],
    [actors.owner, 'RequestPledge', [id, JSON.stringify({ lender: 'LenderMSP', loanReference: `L-${id}`, loanAmount: '50000', currency: 'CNY' })]],
    [actors.officer, 'AcceptPledge', [id, '{}']],
    [actors.officer, 'ReleasePledge', [id, '10.5']],
  ];
}
