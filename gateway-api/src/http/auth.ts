import type { RequestHandler } from 'express';
import type { IdentityRecord, IdentityStore } from '../db/identity-store.js';
import type { Wallet } from '../identity/wallet.js';
import type { Identity } from '../ledger/port.js';
import { ApiError } from './problem.js';
import type { RateLimiter } from './rate-limit.js';

/** The authenticated caller of a request: who it is, and the X.509 identity the gateway signs its transactions with. */
export interface Caller {
  readonly id: string;
  readonly record: IdentityRecord;
  readonly identity: Identity;
}

const bearer = /^Bearer ([A-Za-z0-9_-]{8,200})$/;

/** Bearer-token authentication (401 without a valid token), then the caller's rate limit (429). */
export function authenticate(identities: IdentityStore, wallet: Wallet, limiter: RateLimiter): RequestHandler {
  return async (req, res, next) => {
    const match = bearer.exec(req.get('authorization') ?? '');
    const token = match?.[1];
    if (token === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="warehouse-receipts"');
      throw new ApiError(401, 'UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    const record = await identities.resolveToken(token);
    if (!record) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="warehouse-receipts", error="invalid_token"');
      throw new ApiError(401, 'UNAUTHENTICATED', 'the bearer token is unknown, revoked, or its identity is disabled');
    }
    const verdict = limiter.take(record.id);
    if (!verdict.allowed) {
      throw new ApiError(429, 'RATE_LIMITED', 'too many requests for this identity; slow down', { retryAfterSeconds: verdict.retryAfterSeconds });
    }
    const identity = await wallet.get(record.id);
    if (!identity) throw new ApiError(503, 'SERVICE_UNAVAILABLE', 'the gateway holds no signing key for this identity');
    const caller: Caller = { id: record.id, record, identity };
    res.locals.caller = caller;
    next();
  };
}

export function callerOf(locals: Record<string, unknown>): Caller {
  const caller = locals.caller;
  if (typeof caller !== 'object' || caller === null || !('identity' in caller)) {
    throw new ApiError(401, 'UNAUTHENTICATED', 'not authenticated');
  }
  return caller as Caller;
}
