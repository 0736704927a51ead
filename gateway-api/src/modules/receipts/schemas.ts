import { riskSeverities } from '@wr/chaincode/model';
import { receiptStatuses } from '@wr/chaincode/transitions';
import { z } from 'zod';
import { decimal, hash0x, id, mspId, refId, sha256Hex, text, userId } from '../../http/fields.js';

/** Request schemas of the receipts module's operations (lots, receipts, risk events). */

export const lotBody = z
  .strictObject({
    id,
    warehouseId: id,
    location: text(200),
    commodity: text(100),
    unit: text(20),
    quantity: decimal,
    documents: z.array(z.strictObject({ name: text(200), sha256: sha256Hex })).max(100).optional(),
  })
  .openapi('LotRegistration', {
    example: {
      id: 'LOT-QD-0001',
      warehouseId: 'WH-QINGDAO-01',
      location: 'Shed 3, bay 12',
      commodity: 'aluminium ingot A00',
      unit: 't',
      quantity: '1000.005',
      documents: [{ name: 'weighbridge ticket 88121', sha256: 'a3f1c2d4e5b6a7980f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778' }],
    },
  });

export const stockCountBody = z
  .strictObject({ quantity: decimal, reference: text(200) })
  .openapi('StockCount', {
    example: { quantity: '998.5', reference: 'count 2026-11-20 by inspector Liu' },
    description: "a supervisor's count, or the device gateway's reconciliation from load cells (reference: the alarm and its evidence root)",
  });

export const receiptBody = z
  .strictObject({ id, lotId: refId, owner: userId, quantity: decimal, description: text(1000).optional() })
  .openapi('ReceiptDraft', { example: { id: 'WR-2026-0001', lotId: 'LOT-QD-0001', owner: 'alice', quantity: '500', description: 'A00 ingots, 20 bundles' } });

export const reasonBody = z.strictObject({ reason: text(500) }).openapi('Reason', { example: { reason: 'documents incomplete' } });

export const pledgeRequestBody = z
  .strictObject({ lender: mspId, loanReference: text(100), loanAmount: decimal, currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like "CNY"') })
  .openapi('PledgeRequest', { example: { lender: 'LenderMSP', loanReference: 'LOAN-2026-778', loanAmount: '2000000', currency: 'CNY' } });

/** A loan's terms: fractions as decimal text ("0.8" for 80%); what is left out takes the default (docs/collateral.md). */
export const loanTermsBody = z
  .strictObject({
    haircut: decimal.optional().openapi({ description: 'taken off market value before LTV (default "0")' }),
    warningLtv: decimal.optional().openapi({ description: 'the warning line 警戒线: at or above it a margin call opens (default "0.7")' }),
    liquidationLtv: decimal.optional().openapi({ description: "the liquidation line 平仓线: at or above it the lender's approver is alerted (default \"0.85\")" }),
    cureHours: z.int().min(1).max(720).optional().openapi({ description: 'hours a margin call gives the borrower to cure it (default 72)' }),
  })
  .openapi('LoanTerms', { example: { haircut: '0.1', warningLtv: '0.7', liquidationLtv: '0.85', cureHours: 72 } });

export const pledgeAcceptanceBody = z
  .strictObject({
    releaseApprovalThreshold: decimal.optional(),
    terms: loanTermsBody.optional().openapi({ description: "the loan's terms, set by the loan's first acceptance; a later one may only repeat them" }),
  })
  .openapi('PledgeAcceptance', { example: { releaseApprovalThreshold: '100', terms: { haircut: '0.1', warningLtv: '0.7', liquidationLtv: '0.85' } } });

export const releaseBody = z.strictObject({ quantity: decimal }).openapi('Release', { example: { quantity: '200' } });
export const transferBody = z.strictObject({ newOwner: userId }).openapi('Transfer', { example: { newOwner: 'bob' } });
export const splitBody = z
  .strictObject({ quantities: z.array(decimal).min(2).max(100) })
  .openapi('Split', { example: { quantities: ['300', '200'] } });
export const freezeBody = z
  .strictObject({ reason: text(500), reference: text(200) })
  .openapi('Freeze', { example: { reason: 'margin call unanswered', reference: 'CASE-2026-0042' } });
export const disposalBody = z.strictObject({ buyer: userId }).openapi('Disposal', { example: { buyer: 'bob' } });

/** The supervision alarm a risk event records: one risk event per alarm (a second is ALREADY_EXISTS). */
export const riskAlarmBody = z
  .strictObject({
    alarmId: id,
    ruleHash: sha256Hex.openapi({ description: 'SHA-256 of the JCS bytes of the rule version that raised the alarm' }),
    evidenceRoot: hash0x.openapi({ description: 'Merkle root over the evidence leaves that raised the alarm' }),
  })
  .openapi('RiskAlarm', {
    example: { alarmId: 'alm_5d41402abc4b2a76b9719d911017c592', ruleHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', evidenceRoot: '0x2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae' },
  });

export const riskEventBody = z
  .strictObject({
    id,
    receiptId: refId.optional(),
    lotId: refId.optional(),
    kind: z.string().regex(/^[A-Z][A-Z0-9_]{0,39}$/, 'must be an upper-case code like TEMPERATURE_HIGH'),
    severity: z.enum(riskSeverities),
    detail: text(1000),
    evidenceRef: text(256).optional(),
    alarm: riskAlarmBody.optional(),
  })
  .refine((event) => (event.receiptId === undefined) !== (event.lotId === undefined), 'exactly one of receiptId and lotId is required')
  .openapi('RiskEvent', {
    example: { id: 'RISK-0001', receiptId: 'WR-2026-0001', kind: 'TEMPERATURE_HIGH', severity: 'warning', detail: 'cold room 3 at 9.5 °C for 20 minutes' },
  });
export const resolutionBody = z.strictObject({ resolution: text(1000) }).openapi('Resolution', { example: { resolution: 'compressor repaired; goods inspected' } });

export const receiptListQuery = z.strictObject({
  status: z.enum(receiptStatuses).optional(),
  owner: userId.optional(),
  lender: mspId.optional(),
  warehouseId: refId.optional(),
  lotId: refId.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: refId.optional(),
});
