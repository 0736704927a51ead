import type { Check, VerifyResult } from '@wr/anchor/verifier';

/** What a person is told of one step or of the whole bundle. */
export type Shown = 'VALID' | 'INVALID' | 'UNABLE_TO_CHECK' | 'SKIPPED';

/**
 * A step as shown: the core's ERROR (the step could not be carried out: the network, CORS, a rate limit, or input
 * that cannot be read) is UNABLE TO CHECK, never INVALID.
 */
export function shownStep(check: Check): Shown {
  if (check.status === 'ERROR') return 'UNABLE_TO_CHECK';
  return check.status;
}

/** The bundle's verdict: INVALID if any required step is, VALID if every required step is, else UNABLE TO CHECK. */
export function verdict(result: VerifyResult): Shown {
  const required = result.checks.filter((check) => check.required);
  if (required.some((check) => check.status === 'INVALID')) return 'INVALID';
  return result.ok ? 'VALID' : 'UNABLE_TO_CHECK';
}
