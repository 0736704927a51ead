import type { Loan, Lot, RiskEvent } from '@wr/chaincode/model';
import type { Encumbrance, HistoryEntry, ReceiptView } from '@wr/chaincode/responses';

/**
 * Examples of the components converted from the chaincode's schemas, for the OpenAPI document. Typed with the
 * chaincode's own types, and a test parses each with the chaincode's schema, so they cannot drift from what the
 * ledger returns.
 */
const txId = '7d3c5f0e8b2a41c69e0f1d2c3b4a59687766554433221100ffeeddccbbaa9988';

export const lotExample: Lot = {
  docType: 'lot',
  id: 'LOT-QD-0001',
  warehouseId: 'WH-QINGDAO-01',
  location: 'Shed 3, bay 12',
  commodity: 'aluminium ingot A00',
  unit: 't',
  quantity: '1000.005',
  receiptedQuantity: '500',
  documents: [{ name: 'weighbridge ticket 88121', sha256: 'a3f1c2d4e5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778' }],
  custodian: 'CustodianMSP',
  registeredBy: 'clerk',
  registeredAt: '2026-11-20T02:00:00.000Z',
  lastCount: { quantity: '1000.005', reference: 'count 2026-11-20 by inspector Liu', countedBy: 'supervisor', countedAt: '2026-11-20T06:00:00.000Z' },
  shortfall: null,
};

export const receiptExample: ReceiptView = {
  docType: 'receipt',
  id: 'WR-2026-0001',
  lotId: 'LOT-QD-0001',
  warehouseId: 'WH-QINGDAO-01',
  commodity: 'aluminium ingot A00',
  unit: 't',
  quantity: '500',
  owner: { mspId: 'BorrowerMSP', id: 'alice' },
  custodian: 'CustodianMSP',
  status: 'PLEDGED',
  freezes: [],
  pledge: {
    lender: 'LenderMSP',
    loanReference: 'LOAN-2026-778',
    loanAmount: '2000000',
    currency: 'CNY',
    status: 'ACTIVE',
    requestedBy: 'alice',
    requestedAt: '2026-11-20T03:00:00.000Z',
    acceptedBy: 'officer',
    acceptedAt: '2026-11-20T04:00:00.000Z',
    releaseApprovalThreshold: '100',
    defaultedAt: null,
  },
  pendingRelease: null,
  parentId: null,
  children: [],
  draftedBy: 'clerk',
  draftedAt: '2026-11-20T02:10:00.000Z',
  confirmedBy: 'supervisor',
  confirmedAt: '2026-11-20T02:20:00.000Z',
  updatedAt: '2026-11-20T04:00:00.000Z',
  lastTxId: txId,
  description: 'A00 ingots, 20 bundles',
  frozen: false,
};

export const riskEventExample: RiskEvent = {
  docType: 'risk',
  id: 'RISK-0001',
  receiptId: 'WR-2026-0001',
  lotId: null,
  kind: 'TEMPERATURE_HIGH',
  severity: 'warning',
  detail: 'cold room 3 at 9.5 °C for 20 minutes',
  evidenceRef: null,
  status: 'OPEN',
  recordedBy: 'device-gateway',
  recordedAt: '2026-11-20T05:00:00.000Z',
  resolvedBy: null,
  resolvedAt: null,
  resolution: null,
};

export const historyEntryExample: HistoryEntry = { txId, timestamp: '2026-11-20T04:00:00.000Z', isDelete: false, value: receiptExample };

export const encumbranceExample: Encumbrance = {
  receiptId: 'WR-2026-0001',
  status: 'PLEDGED',
  owner: { mspId: 'BorrowerMSP', id: 'alice' },
  quantity: '500',
  unit: 't',
  commodity: 'aluminium ingot A00',
  frozen: false,
  freezes: [],
  pledge: receiptExample.pledge,
  pendingRelease: null,
  openRiskEvents: [riskEventExample],
  lineage: { parentId: null, children: [] },
  asOf: '2026-11-20T06:30:00.000Z',
};

/** A loan as the ledger keeps it (AmendLoanTerms and RecordRepayment answer it). */
export const loanExample: Loan = {
  docType: 'loan',
  lender: 'LenderMSP',
  loanReference: 'LOAN-2026-118',
  borrower: { mspId: 'BorrowerMSP', id: 'alice' },
  currency: 'CNY',
  principal: '2000000',
  repaid: '0',
  outstanding: '2000000',
  terms: { haircut: '0.1', warningLtv: '0.7', liquidationLtv: '0.85', cureHours: 72 },
  openedBy: 'officer',
  openedAt: '2026-11-20T04:00:00.000Z',
  updatedAt: '2026-12-02T09:00:00.000Z',
  lastTxId: txId,
};

/** By component name, as the OpenAPI document registers them. */
export const componentExamples: Readonly<Record<string, unknown>> = {
  Receipt: receiptExample,
  ReceiptHistoryEntry: historyEntryExample,
  Encumbrance: encumbranceExample,
  Lot: lotExample,
  RiskEventRecord: riskEventExample,
  ReceiptHistoryList: [historyEntryExample],
  RiskEventList: [riskEventExample],
  Loan: loanExample,
};
