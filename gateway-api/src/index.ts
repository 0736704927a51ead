export type { Identity, LedgerEvent, LedgerPort, SubmitOptions, SubmitResult } from './ledger/port.js';
export { LedgerError, ledgerErrorCodes, parseChaincodeError, type LedgerErrorCode } from './ledger/errors.js';
export { EmbeddedLedger, type ChainInfo, type EmbeddedLedgerOptions } from './ledger/embedded/index.js';
export { openDevCa, caFromPem, FABRIC_ATTRS_OID, type DevCa } from './identity/dev-ca.js';
export { endorsementOrgs } from './ledger/endorsement-policy.js';
export type { JsonValue } from '@wr/anchor';
export { systemClock, type Clock } from './platform/clock.js';
export { eventCatalogue, eventExamples, eventTypes, type EventType } from './modules/events/catalogue.js';
