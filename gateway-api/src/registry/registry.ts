import { LedgerError } from '../ledger/errors.js';
import type { Identity, LedgerPort } from '../ledger/port.js';
import { systemClock } from '../platform/clock.js';

/** A committed transaction's result, as the HTTP layer reports it. */
export interface Committed {
  readonly data: unknown;
  readonly txId: string;
  readonly blockNumber: bigint;
}

export interface RegistryOptions {
  readonly ledger: LedgerPort;
  /** How often a transaction invalidated by a concurrent one is simulated and submitted again. */
  readonly mvccRetries?: number;
}

/**
 * The registry's chaincode as the gateway uses it: JSON in, parsed JSON out. A transaction that loses a race to a
 * concurrent one is retried with a fresh simulation.
 */
export interface Registry {
  submit(identity: Identity, tx: string, args: readonly string[]): Promise<Committed>;
  evaluate(identity: Identity, tx: string, args: readonly string[]): Promise<unknown>;
}

/**
 * Failures that a fresh simulation can overcome: a version read that a concurrent transaction changed, or (on
 * Fabric) endorsements planned from a key-level policy a concurrent transaction changed. The chaincode re-checks
 * every rule on the retry, so it cannot do anything the first attempt could not.
 */
const retryableCodes: ReadonlySet<string> = new Set(['MVCC_READ_CONFLICT', 'ENDORSEMENT_POLICY_FAILURE']);

export function registry(options: RegistryOptions): Registry {
  const retries = options.mvccRetries ?? 3;
  return {
    async submit(identity, tx, args) {
      for (let attempt = 0; ; attempt++) {
        try {
          const committed = await options.ledger.submit(identity, tx, args);
          return { data: parseResult(committed.result), txId: committed.txId, blockNumber: committed.blockNumber };
        } catch (error) {
          const retryable = error instanceof LedgerError && retryableCodes.has(error.code) && attempt < retries;
          if (!retryable) throw error;
          await systemClock.sleep(Math.random() * 5 * (attempt + 1));
        }
      }
    },
    async evaluate(identity, tx, args) {
      return parseResult(await options.ledger.evaluate(identity, tx, args));
    },
  };
}

function parseResult(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return null;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new LedgerError('the chaincode returned a result that is not JSON', { code: 'CHAINCODE_ERROR', cause });
  }
}
