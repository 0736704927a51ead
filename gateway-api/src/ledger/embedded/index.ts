export { EmbeddedLedger, type ChainInfo, type EmbeddedLedgerOptions } from './ledger.js';
export { blockHash, dataHash, type Block } from './block-store.js';
