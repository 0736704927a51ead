import type { ReceiptTx } from '@wr/chaincode/transitions';
import { api, unwrap } from './api/client';
import type { MessageKey } from './i18n';

/** A form field of an action: its key in the request body and label, and how it is checked before sending. */
export interface ActionField {
  readonly name: string;
  readonly label: MessageKey;
  readonly kind: 'text' | 'decimal' | 'identifier' | 'decimals' | 'hours' | 'cureHours' | 'multiline';
  readonly required: boolean;
  readonly initial?: string;
}

/** What the ledger answered to a write: where it committed. */
export interface Committed {
  readonly blockNumber: number;
}

interface ActionSpec {
  readonly fields: readonly ActionField[];
  /** One POST; `key` is its Idempotency-Key, fresh for each submission of the form. */
  readonly run: (id: string, values: Readonly<Record<string, string>>, key: string) => Promise<Committed>;
}

const reason: ActionField = { name: 'reason', label: 'field.reason', kind: 'text', required: true };
const idempotent = (key: string) => ({ 'Idempotency-Key': key });
const path = (id: string) => ({ path: { id } });
const committed = async (call: Promise<{ data?: { transaction: { blockNumber: number } }; error?: unknown; response: Response }>): Promise<Committed> => ({
  blockNumber: (await unwrap(call)).transaction.blockNumber,
});
const optional = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

/** Each receipt transaction the console offers, with its form and its typed API call. */
export const receiptActions: Readonly<Record<Exclude<ReceiptTx, 'DraftReceipt'>, ActionSpec>> = {
  ConfirmReceipt: { fields: [], run: (id, _v, key) => committed(api.POST('/v1/receipts/{id}/confirm', { params: { ...path(id), header: idempotent(key) }, body: {} })) },
  CancelDraft: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/cancellation', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  RequestPledge: {
    fields: [
      { name: 'lender', label: 'field.lender', kind: 'identifier', required: true, initial: 'LenderMSP' },
      { name: 'loanReference', label: 'field.loanReference', kind: 'text', required: true },
      { name: 'loanAmount', label: 'field.loanAmount', kind: 'decimal', required: true },
      { name: 'currency', label: 'field.currency', kind: 'text', required: true, initial: 'CNY' },
    ],
    run: (id, v, key) =>
      committed(
        api.POST('/v1/receipts/{id}/pledge-request', {
          params: { ...path(id), header: idempotent(key) },
          body: { lender: v.lender ?? '', loanReference: v.loanReference ?? '', loanAmount: v.loanAmount ?? '', currency: v.currency ?? '' },
        }),
      ),
  },
  AcceptPledge: {
    fields: [
      { name: 'releaseApprovalThreshold', label: 'field.releaseApprovalThreshold', kind: 'decimal', required: false },
      // The loan's terms: its first acceptance sets them; left empty, the defaults (docs/collateral.md).
      { name: 'haircut', label: 'field.haircut', kind: 'decimal', required: false },
      { name: 'warningLtv', label: 'field.warningLtv', kind: 'decimal', required: false },
      { name: 'liquidationLtv', label: 'field.liquidationLtv', kind: 'decimal', required: false },
      { name: 'cureHours', label: 'field.cureHours', kind: 'cureHours', required: false },
    ],
    run: (id, v, key) => {
      const threshold = optional(v.releaseApprovalThreshold);
      const cureHours = optional(v.cureHours);
      const terms = {
        ...(optional(v.haircut) === undefined ? {} : { haircut: v.haircut }),
        ...(optional(v.warningLtv) === undefined ? {} : { warningLtv: v.warningLtv }),
        ...(optional(v.liquidationLtv) === undefined ? {} : { liquidationLtv: v.liquidationLtv }),
        ...(cureHours === undefined ? {} : { cureHours: Number(cureHours) }),
      };
      const body = { ...(threshold === undefined ? {} : { releaseApprovalThreshold: threshold }), ...(Object.keys(terms).length === 0 ? {} : { terms }) };
      return committed(api.POST('/v1/receipts/{id}/pledge-acceptance', { params: { ...path(id), header: idempotent(key) }, body }));
    },
  },
  RejectPledge: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/pledge-rejection', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  ReleasePledge: {
    fields: [{ name: 'quantity', label: 'field.quantity', kind: 'decimal', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/release', { params: { ...path(id), header: idempotent(key) }, body: { quantity: v.quantity ?? '' } })),
  },
  ApproveRelease: { fields: [], run: (id, _v, key) => committed(api.POST('/v1/receipts/{id}/release-approval', { params: { ...path(id), header: idempotent(key) }, body: {} })) },
  RejectRelease: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/release-rejection', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  RequestReleaseOverride: {
    fields: [{ name: 'quantity', label: 'field.quantity', kind: 'decimal', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/release-override-request', { params: { ...path(id), header: idempotent(key) }, body: { quantity: v.quantity ?? '' } })),
  },
  OverrideCovenant: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/covenant-override', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  TransferOwnership: {
    fields: [{ name: 'newOwner', label: 'field.newOwner', kind: 'identifier', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/transfer', { params: { ...path(id), header: idempotent(key) }, body: { newOwner: v.newOwner ?? '' } })),
  },
  SplitReceipt: {
    fields: [{ name: 'quantities', label: 'field.quantities', kind: 'decimals', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/split', { params: { ...path(id), header: idempotent(key) }, body: { quantities: decimals(v.quantities ?? '') } })),
  },
  RequestWithdrawal: { fields: [], run: (id, _v, key) => committed(api.POST('/v1/receipts/{id}/withdrawal-request', { params: { ...path(id), header: idempotent(key) }, body: {} })) },
  ConfirmDelivery: { fields: [], run: (id, _v, key) => committed(api.POST('/v1/receipts/{id}/delivery', { params: { ...path(id), header: idempotent(key) }, body: {} })) },
  Freeze: {
    fields: [reason, { name: 'reference', label: 'field.reference', kind: 'text', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/freeze', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '', reference: v.reference ?? '' } })),
  },
  Unfreeze: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/unfreeze', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  DeclareDefault: { fields: [reason], run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/default', { params: { ...path(id), header: idempotent(key) }, body: { reason: v.reason ?? '' } })) },
  Dispose: {
    fields: [{ name: 'buyer', label: 'field.buyer', kind: 'identifier', required: true }],
    run: (id, v, key) => committed(api.POST('/v1/receipts/{id}/disposal', { params: { ...path(id), header: idempotent(key) }, body: { buyer: v.buyer ?? '' } })),
  },
};

/** "300, 200" as ["300", "200"]. */
export function decimals(text: string): string[] {
  return text
    .split(/[,，\s]+/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export const decimalPattern = /^(0|[1-9]\d{0,14})(\.\d{1,6})?$/;
export const identifierPattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
