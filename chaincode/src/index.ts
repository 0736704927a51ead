import { ReceiptContract } from './receipt-contract';

/** The contracts fabric-chaincode-node loads; the first is the default, so transactions need no name prefix. */
export const contracts = [ReceiptContract];

export { ReceiptContract } from './receipt-contract';
export { ChaincodeError, errorCodes, type ErrorCode } from './errors';
export { marshal, toCanonicalJson } from './marshal';
export { Quantity, decimalPattern } from './quantity';
export {
  checkpoint as checkpointRecord,
  lot as lotRecord,
  receipt as receiptRecord,
  riskAlarm as riskAlarmRecord,
  riskEvent as riskEventRecord,
  riskSeverities,
  type Checkpoint,
  type Freeze,
  type Lot,
  type PendingRelease,
  type Pledge,
  type Receipt,
  type RiskAlarm,
  type RiskEvent,
  type RiskSeverity,
} from './model';
export {
  encumbrance,
  historyEntry,
  receiptPage,
  receiptView,
  type Encumbrance,
  type HistoryEntry,
  type ReceiptPage,
  type ReceiptView,
} from './responses';
export { orgKinds, rolesByOrg, type OrgKind, type Role } from './roles';
export {
  isLive,
  liveStatuses,
  receiptStatuses,
  receiptTxs,
  recordAccess,
  terminalStatuses,
  transitionOf,
  transitions,
  type ReceiptStatus,
  type ReceiptTx,
  type Transition,
} from './transitions';
