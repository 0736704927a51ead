/**
 * Stable codes for everything that can go wrong between us and an EVM chain. Append-only: callers branch on them.
 * - CHAIN_UNAVAILABLE: the RPC endpoint did not answer (refused, timed out, malformed answer).
 * - CHAIN_ERROR: the endpoint answered with an error we do not classify further.
 * - CONTRACT_MISSING: no contract is configured, or there is no code at the configured address.
 * - ANCHOR_REFUSED: the contract or the chain refused the transaction (not the owner, reverted, no funds).
 * - ANCHOR_CONFLICT: the root is already anchored with a different checkpoint hash.
 * - ANCHOR_LOG_MISSING: the contract says the root is anchored but no `Anchored` log was found from `fromBlock`.
 * - ANCHOR_TIMEOUT: the transaction was not confirmed in time; it may still be mined, resume with its hash.
 * - INVALID_ARGUMENT: the caller passed a malformed root, hash, seq, key or option.
 * - DEV_CHAIN_CORRUPT: the dev chain's journal cannot be read.
 * - DEV_CHAIN_DIVERGED: replaying the dev chain's journal did not reproduce the recorded blocks.
 * - DEV_CHAIN_LOCKED: another live process has the dev chain's directory open.
 * - DEV_CHAIN_CLOSED: the dev chain was used after close().
 * - METHOD_REFUSED: the dev chain does not accept this JSON-RPC method from this side.
 */
export type ChainErrorCode =
  | 'CHAIN_UNAVAILABLE'
  | 'CHAIN_ERROR'
  | 'CONTRACT_MISSING'
  | 'ANCHOR_REFUSED'
  | 'ANCHOR_CONFLICT'
  | 'ANCHOR_LOG_MISSING'
  | 'ANCHOR_TIMEOUT'
  | 'INVALID_ARGUMENT'
  | 'DEV_CHAIN_CORRUPT'
  | 'DEV_CHAIN_DIVERGED'
  | 'DEV_CHAIN_LOCKED'
  | 'DEV_CHAIN_CLOSED'
  | 'METHOD_REFUSED';

/** Details a ChainError may carry so callers can resume or report without parsing the message. */
export interface ChainErrorDetails {
  /** The transaction concerned, when one was signed. */
  readonly txHash?: string;
  /** Its nonce. */
  readonly nonce?: number;
  /** The contract's custom error name when it reverted (NotOwner, AlreadyAnchored, ZeroValue). */
  readonly reason?: string;
  /** The underlying error. */
  readonly cause?: unknown;
}

/** An error from the chain layer with a stable `code`; never classify it by its message. */
export class ChainError extends Error {
  readonly code: ChainErrorCode;
  readonly txHash: string | undefined;
  readonly nonce: number | undefined;
  readonly reason: string | undefined;

  constructor(code: ChainErrorCode, message: string, details: ChainErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ChainError';
    this.code = code;
    this.txHash = details.txHash;
    this.nonce = details.nonce;
    this.reason = details.reason;
  }
}

/** True when `error` is a ChainError, optionally with the given code. */
export function isChainError(error: unknown, code?: ChainErrorCode): error is ChainError {
  return error instanceof ChainError && (code === undefined || error.code === code);
}
