import type { RequestHandler } from 'express';
import { createHash } from 'node:crypto';
import type { IdentityRecord, IdentityStore } from '../db/identity-store.js';
import type { Wallet } from '../identity/wallet.js';
import type { Identity } from '../ledger/port.js';
import { ApiError } from './problem.js';
import './locals.js';
import type { RateLimiter } from './rate-limit.js';

/** The authenticated caller of a request: who it is, and the X.509 identity the gateway signs its transactions with. */
export interface Caller {
  readonly id: string;
  readonly record: IdentityRecord;
  readonly identity: Identity;
}

// The scheme is case-insensitive (RFC 9110 section 11.1).
const bearer = /^Bearer ([A-Za-z0-9_-]{8,200})$/i;

/** How long a resolved token is trusted without asking the database again (so also how late a revocation bites). */
export const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_ENTRIES = 10_000;

/**
 * Token resolution with a short-lived cache of successful look-ups, keyed by the token's SHA-256 so that no token
 * text stays in memory longer than its request. Unknown tokens are never cached: guessing cannot fill the cache.
 */
export function cachedTokenResolver(identities: IdentityStore, ttlMs = TOKEN_CACHE_MS) {
  const cache = new Map<string, { readonly record: IdentityRecord; readonly until: number }>();
  const keyOf = (token: string): string => createHash('sha256').update(token).digest('base64');
  return {
    /** The identity of a token resolved in the last `ttlMs`, without asking the database. */
    cached(token: string): IdentityRecord | undefined {
      const key = keyOf(token);
      const hit = cache.get(key);
      if (hit && hit.until > performance.now()) return hit.record;
      cache.delete(key);
      return undefined;
    },
    async resolve(token: string): Promise<IdentityRecord | undefined> {
      const record = await identities.resolveToken(token);
      if (record) {
        if (cache.size >= TOKEN_CACHE_ENTRIES) cache.clear();
        cache.set(keyOf(token), { record, until: performance.now() + ttlMs });
      }
      return record;
    },
  };
}

/**
 * Bearer-token authentication (401 without a valid token), then the caller's rate limit (429). Unknown tokens cost a
 * database look-up each, so a client address that presents too many of them is refused (429) before looking up more.
 */
export function authenticate(identities: IdentityStore, wallet: Wallet, limiter: RateLimiter, failures: RateLimiter): RequestHandler {
  const tokens = cachedTokenResolver(identities);
  const blockedUntil = new Map<string, number>();
  return async (req, res, next) => {
    const match = bearer.exec(req.get('authorization') ?? '');
    const token = match?.[1];
    if (token === undefined) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="warehouse-receipts"');
      throw new ApiError(401, 'UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    let record = tokens.cached(token);
    if (!record) {
      const blocked = blockedUntil.get(address);
      if (blocked !== undefined && blocked > performance.now()) {
        throw new ApiError(429, 'RATE_LIMITED', 'too many requests with unknown tokens from this address', {
          retryAfterSeconds: Math.ceil((blocked - performance.now()) / 1000),
        });
      }
      record = await tokens.resolve(token);
    }
    if (!record) {
      const verdict = failures.take(address);
      if (!verdict.allowed) {
        if (blockedUntil.size > 10_000) blockedUntil.clear();
        blockedUntil.set(address, performance.now() + verdict.retryAfterSeconds * 1000);
      }
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

/** The authenticated caller of a /v1 request (authenticate ran before every /v1 route). */
export function callerOf(locals: Express.Locals): Caller {
  if (!locals.caller) throw new ApiError(401, 'UNAUTHENTICATED', 'not authenticated');
  return locals.caller;
}
