import express, { type Request, type Response, type Router } from 'express';
import type { AuditEntry, AuditLog } from '../db/audit-log.js';
import type { Queryable } from '../db/database.js';
import type { IdempotencyStore } from '../db/idempotency-store.js';
import { callerOf, type Caller } from './auth.js';
import { idempotent, type Outcome } from './idempotency.js';
import type { Metrics } from './observability.js';
import type { Reply, ServedOperation } from './operation.js';
import { ApiError } from './problem.js';

export interface RouteDependencies {
  readonly operations: readonly ServedOperation[];
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly metrics: Metrics;
  readonly onAuditFailure: (error: unknown) => void;
}

/** The /v1 routes: the one handler below, for every operation of every module. */
export function apiRoutes(deps: RouteDependencies): Router {
  const router = express.Router();
  for (const operation of deps.operations) {
    // The router is mounted at /v1; the operations' paths are the full public ones.
    router[operation.method](expressPath(operation.path.replace(/^\/v1/, '')), (req, res) => handle(operation, deps, req, res));
  }
  return router;
}

/**
 * Serves one request: the caller's org and role where the gateway enforces them, the request parsed with the
 * operation's schemas, then its use case; a write runs at most once per Idempotency-Key and is audited. A ledger
 * write's audit entry follows its commit (the ledger has the transaction whatever happens next, so a failed audit
 * write is reported, not undone); a database write records its entry in its own transaction.
 */
async function handle(operation: ServedOperation, deps: RouteDependencies, req: Request, res: Response): Promise<void> {
  res.locals.route = `${operation.method.toUpperCase()} ${operation.path}`;
  const caller = callerOf(res.locals);
  if (operation.allowed && !permitted(operation.allowed, caller)) {
    throw new ApiError(403, 'FORBIDDEN', `a ${caller.record.org} ${caller.record.role} may not call ${operation.operationId} (allowed: ${operation.who})`);
  }
  if (operation.binaryBody && !req.is('application/octet-stream')) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the content must be sent as application/octet-stream');
  }
  const path = req.originalUrl.split('?')[0] ?? req.path;
  const key = operation.write && operation.method === 'post' ? req.get('idempotency-key') : undefined;
  const prepared = operation.prepare({ params: req.params, query: req.query, body: bodyOf(req), content: req });
  const entry = (reply?: Reply<unknown>): AuditEntry => ({
    requestId: res.locals.requestId ?? '',
    identityId: caller.id,
    method: req.method,
    path,
    txName: operation.call?.tx ?? operation.audit ?? null,
    txId: reply?.transaction?.txId ?? null,
    blockNumber: reply?.transaction?.blockNumber ?? null,
    status: operation.successStatus,
    idempotencyKey: key ?? null,
  });
  const write = { submittedBy: caller.id, requestId: res.locals.requestId ?? '', record: (tx: Queryable) => deps.audit.append(entry(), tx) };
  const run = async (): Promise<Outcome> => {
    const reply = await timed(deps.metrics, operation, () => prepared.run(undefined, { caller, write }));
    if (reply.transaction) await deps.audit.append(entry(reply)).catch(deps.onAuditFailure);
    return { status: operation.successStatus, body: bodyOfReply(reply) };
  };

  if (!operation.write) {
    const reply = await timed(deps.metrics, operation, () => prepared.run(undefined, { caller, write }));
    if (reply.respond !== undefined) {
      await reply.respond(req, res);
      return;
    }
    res.status(operation.successStatus).json(bodyOfReply(reply));
    return;
  }
  const outcome = await idempotent(deps.idempotency, caller.id, key, { method: req.method, path, body: prepared.body }, run);
  if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(outcome.status).json(outcome.body);
}

function permitted(allowed: NonNullable<ServedOperation['allowed']>, caller: Caller): boolean {
  return allowed.some((rule) => rule.org === caller.record.org && (rule.roles as readonly string[]).includes(caller.record.role));
}

function bodyOfReply(reply: Reply<unknown>): Record<string, unknown> {
  const transaction = reply.transaction ? { transaction: { txId: reply.transaction.txId, blockNumber: Number(reply.transaction.blockNumber) } } : {};
  return { data: reply.data, ...reply.extra, ...transaction };
}

/** A POST without a body is an empty object; a body that is not JSON never reaches here (415/400 earlier). */
function bodyOf(req: Request): unknown {
  const body: unknown = req.body;
  return body === undefined ? {} : body;
}

/** Ledger calls are timed by transaction name. */
async function timed<T>(metrics: Metrics, operation: ServedOperation, call: () => Promise<T>): Promise<T> {
  if (!operation.call) return call();
  const stop = metrics.ledgerDuration.startTimer({ tx: operation.call.tx });
  try {
    const result = await call();
    stop({ outcome: 'ok' });
    return result;
  } catch (error) {
    stop({ outcome: 'refused' });
    throw error;
  }
}

/** Patterns of the API's paths by method: what a 405's Allow header lists and which routes take bytes. */
export function routeTable(operations: readonly Pick<ServedOperation, 'method' | 'path' | 'binaryBody'>[]) {
  // Case-insensitive, as Express matches routes.
  const routes = operations.map((operation) => ({
    method: operation.method.toUpperCase(),
    binaryBody: operation.binaryBody,
    pattern: new RegExp(`^${operation.path.replaceAll(/\{[a-zA-Z]+\}/g, '[^/]+')}/?$`, 'i'),
  }));
  return {
    /** The methods the API has on a path (empty when it has no such path). */
    allowedMethods: (path: string): string[] => [...new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method))].sort(),
    /** Whether `method` on `path` (the full /v1 path) is an operation that takes bytes rather than JSON. */
    takesBinaryBody: (method: string, path: string): boolean => routes.some((route) => route.binaryBody && route.method === method && route.pattern.test(path)),
  };
}

export function expressPath(openApiPath: string): string {
  return openApiPath.replaceAll(/\{([a-zA-Z]+)\}/g, ':$1');
}
