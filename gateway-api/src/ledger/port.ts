import type { KeyObject } from 'node:crypto';

/** An X.509 identity of one organisation: what a ledger transaction is signed with. */
export interface Identity {
  readonly mspId: string;
  /** PEM certificate issued by the organisation's CA. */
  readonly certificate: string;
  readonly privateKey: KeyObject;
}

/** Options a client may fix for a transaction; both default to fresh values. */
export interface SubmitOptions {
  /** The transaction timestamp carried in the proposal (what the chaincode sees as "now"). */
  readonly timestamp?: Date;
  /** The proposal nonce; the transaction id is SHA-256(nonce || creator). */
  readonly nonce?: Uint8Array;
}

/** The outcome of a committed transaction. */
export interface SubmitResult {
  readonly txId: string;
  readonly blockNumber: bigint;
  /** The chaincode's response payload (UTF-8 JSON for this registry's chaincode). */
  readonly result: Uint8Array;
}

/** A chaincode event from a valid, committed transaction. */
export interface LedgerEvent {
  readonly blockNumber: bigint;
  /** Position of the transaction in its block. */
  readonly txIndex: number;
  readonly txId: string;
  readonly eventName: string;
  readonly payload: Uint8Array;
  readonly timestamp: Date;
}

/** The ledger port: what the gateway needs of a ledger, whichever backend serves it. */
export interface LedgerPort {
  /** Endorses, orders and commits a transaction; resolves once it is committed valid, otherwise throws a LedgerError. */
  submit(identity: Identity, txName: string, args: readonly string[], options?: SubmitOptions): Promise<SubmitResult>;
  /** Runs a query against committed state; nothing is ordered or committed. */
  evaluate(identity: Identity, txName: string, args: readonly string[]): Promise<Uint8Array>;
  /** Chaincode events of committed valid transactions, from `fromBlock` (inclusive) onwards, then live until `signal` aborts. */
  events(fromBlock: bigint, signal?: AbortSignal): AsyncIterable<LedgerEvent>;
  /** The number of blocks on the channel (the next block's number), for health and lag reports. */
  height(): Promise<number>;
  close(): Promise<void>;
}
