import { InvalidArgumentError, JCS_MAX_DEPTH, jcs } from '@wr/anchor/verifier';
import { createHash } from 'node:crypto';
import type { IdempotencyStore } from '../db/idempotency-store.js';
import { jsonDepth } from '../util/json-depth.js';
import { ApiError } from './problem.js';

const keyPattern = /^[A-Za-z0-9._:-]{1,200}$/;

export interface Outcome {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Runs a write at most once per (caller, Idempotency-Key): the first request runs and its response is kept; a repeat
 * with the same request gets the same response without a second ledger transaction; the same key with a different
 * request is refused (422), and one still running is 409. Only successes are kept: a refused or failed request
 * changed nothing, so its key is released and the request may be sent again.
 */
export async function idempotent(
  store: IdempotencyStore,
  callerId: string,
  key: string | undefined,
  request: { readonly method: string; readonly path: string; readonly body: unknown },
  run: () => Promise<Outcome>,
): Promise<Outcome & { readonly replayed: boolean }> {
  if (key === undefined) return { ...(await run()), replayed: false };
  if (!keyPattern.test(key)) {
    throw new ApiError(400, 'INVALID_HEADER', 'Idempotency-Key must be 1-200 letters, digits, ".", "_", ":" or "-"');
  }
  const hash = createHash('sha256').update(`${request.method} ${request.path}\n${canonicalBody(request.body)}`).digest('hex');
  const begun = await store.begin(callerId, key, hash);
  switch (begun.state) {
    case 'replay':
      return { status: begun.status, body: begun.body, replayed: true };
    case 'mismatch':
      throw new ApiError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
    case 'in_progress':
      throw new ApiError(409, 'IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry later');
    case 'new':
      break;
  }
  let outcome: Outcome;
  try {
    outcome = await run();
  } catch (error) {
    await store.abandon(callerId, key);
    throw error;
  }
  await store.complete(callerId, key, outcome.status, outcome.body);
  return { ...outcome, replayed: false };
}

/**
 * The body as RFC 8785 (JCS) text, the code base's one canonical JSON. Bodies reach here parsed by their schemas,
 * which refuse anything deeply nested. What JCS cannot write and a schema lets through is an evidence item with a
 * lone surrogate, which the intake refuses alone while the rest of its batch is accepted: that request is identified by
 * its parsed JSON text instead, after `json:`, which no JCS text begins with, so that a retry still finds it. Only a body nested beyond
 * JCS_MAX_DEPTH is refused here (400, before any work), since walking it could overflow the stack.
 */
function canonicalBody(body: unknown): string {
  try {
    return jcs(body ?? null);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    if (jsonDepth(body) > JCS_MAX_DEPTH) throw new ApiError(400, 'VALIDATION_FAILED', `body: ${error.message}`);
    return `json:${JSON.stringify(body)}`;
  }
}
