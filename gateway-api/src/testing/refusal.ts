import { LedgerError } from '../ledger/errors.js';

/** The error of type `type` a call fails with; fails when the call succeeds or throws anything else. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, but the call succeeded`);
}

/** The LedgerError a ledger call is refused with. */
export function refusal(promise: Promise<unknown>): Promise<LedgerError> {
  return rejection(promise, LedgerError);
}
