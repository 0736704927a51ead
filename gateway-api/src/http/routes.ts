import express, { type Request, type Response, type Router } from 'express';
import type { AuditLog } from '../db/audit-log.js';
import type { IdempotencyStore } from '../db/idempotency-store.js';
import type { receiptQueries } from '../db/receipt-queries.js';
import type { AnchoringQueries } from '../anchoring/bundles.js';
import type { EvidenceService } from '../evidence/intake.js';
import type { Registry } from '../registry/registry.js';
import { callerOf, type Caller } from './auth.js';
import { evidenceOperations, type ServiceOperation } from './evidence-operations.js';
import { idempotent, type Outcome } from './idempotency.js';
import type { Metrics } from './observability.js';
import { operations, type Operation } from './operations.js';
import { parse } from './parse.js';
import { ApiError } from './problem.js';
import { receiptListQuery } from './schemas.js';
import { z } from 'zod';

export interface RouteDependencies {
  readonly registry: Registry;
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly receipts: ReturnType<typeof receiptQueries>;
  readonly metrics: Metrics;
  readonly evidence: EvidenceService;
  readonly anchoring: AnchoringQueries;
  readonly onAuditFailure: (error: unknown) => void;
}

/** The /v1 routes: one thin handler per operation of the table, plus the list served from the projection. */
export function apiRoutes(deps: RouteDependencies): Router {
  const router = express.Router();
  router.get('/receipts', async (req, res) => {
    res.locals.route = 'GET /v1/receipts';
    const query = parse(receiptListQuery, req.query, 'query');
    const caller = callerOf(res.locals);
    const page = await deps.receipts.list({ mspId: caller.record.mspId, user: caller.record.user, role: caller.record.role }, query);
    res.json({ data: page.items, next: page.next, asOfBlock: page.asOfBlock === null ? null : Number(page.asOfBlock) });
  });
  for (const operation of operations) {
    // The router is mounted at /v1; the table's paths are the full public ones.
    router[operation.method](expressPath(operation.path.replace(/^\/v1/, '')), (req, res) => handle(operation, deps, req, res));
  }
  for (const operation of evidenceOperations) {
    router[operation.method](expressPath(operation.path.replace(/^\/v1/, '')), (req, res) => handleService(operation, deps, req, res));
  }
  return router;
}

/**
 * An operation served from the gateway's database: the caller's org and role checked here (no chaincode does it),
 * then the operation parses its request and runs its use case, which records the audit entry in its own transaction.
 */
async function handleService(operation: ServiceOperation, deps: RouteDependencies, req: Request, res: Response): Promise<void> {
  res.locals.route = `${operation.method.toUpperCase()} ${operation.path}`;
  const caller = callerOf(res.locals);
  if (!permitted(operation, caller)) {
    const who = operation.allowed.map((rule) => `${rule.org} ${rule.roles.join('/')}`).join(', ');
    throw new ApiError(403, 'FORBIDDEN', `a ${caller.record.org} ${caller.record.role} may not call ${operation.operationId} (allowed: ${who})`);
  }
  if (operation.binaryBody && !req.is('application/octet-stream')) {
    throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the content must be sent as application/octet-stream');
  }
  const path = req.originalUrl.split('?')[0] ?? req.path;
  const key = operation.method === 'post' ? req.get('idempotency-key') : undefined;
  const prepared = operation.prepare({ params: req.params, query: req.query, body: operation.binaryBody ? undefined : bodyOf(req), content: req });
  const context = {
    submittedBy: caller.id,
    audit: {
      requestId: res.locals.requestId ?? '',
      identityId: caller.id,
      method: req.method,
      path,
      txName: operation.audit ?? null,
      txId: null,
      blockNumber: null,
      status: operation.successStatus,
      idempotencyKey: key ?? null,
    },
  };
  if (operation.audit === undefined || operation.method !== 'post') {
    const data = await prepared.run({ evidence: deps.evidence, anchoring: deps.anchoring }, context);
    res.status(operation.successStatus).json({ data });
    return;
  }
  const outcome = await idempotent(deps.idempotency, caller.id, key, { method: req.method, path, body: prepared.body }, async (): Promise<Outcome> => ({
    status: operation.successStatus,
    body: { data: await prepared.run({ evidence: deps.evidence, anchoring: deps.anchoring }, context) },
  }));
  if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(outcome.status).json(outcome.body);
}

function permitted(operation: ServiceOperation, caller: Caller): boolean {
  return operation.allowed.some((rule) => rule.org === caller.record.org && (rule.roles as readonly string[]).includes(caller.record.role));
}

async function handle(operation: Operation, deps: RouteDependencies, req: Request, res: Response): Promise<void> {
  res.locals.route = `${operation.method.toUpperCase()} ${operation.path}`;
  const caller = callerOf(res.locals);
  const params = operation.params ? parse(operation.params, req.params, 'path') : {};
  const body = operation.method === 'post' ? parse(operation.body ?? emptyObject, bodyOf(req), 'body') : undefined;
  const args = operation.args(params, body);
  const { tx, kind } = operation.call;

  if (kind === 'evaluate') {
    const data = await timed(deps.metrics, tx, () => deps.registry.evaluate(caller.identity, tx, args));
    res.status(operation.successStatus).json({ data });
    return;
  }

  const path = req.originalUrl.split('?')[0] ?? req.path;
  const key = req.get('idempotency-key');
  const outcome = await idempotent(deps.idempotency, caller.id, key, { method: req.method, path, body }, async (): Promise<Outcome> => {
    const committed = await timed(deps.metrics, tx, () => deps.registry.submit(caller.identity, tx, args));
    const blockNumber = Number(committed.blockNumber);
    // The ledger has the transaction whatever happens next; an audit write that fails is reported, not undone.
    await deps.audit
      .append({
        requestId: res.locals.requestId ?? '',
        identityId: caller.id,
        method: req.method,
        path,
        txName: tx,
        txId: committed.txId,
        blockNumber: committed.blockNumber,
        status: operation.successStatus,
        idempotencyKey: key ?? null,
      })
      .catch(deps.onAuditFailure);
    return { status: operation.successStatus, body: { data: committed.data, transaction: { txId: committed.txId, blockNumber } } };
  });
  if (outcome.replayed) res.setHeader('Idempotent-Replayed', 'true');
  res.status(outcome.status).json(outcome.body);
}

const emptyObject = z.strictObject({});

/** A POST without a body is an empty object; a body that is not JSON never reaches here (415/400 earlier). */
function bodyOf(req: Request): unknown {
  const body: unknown = req.body;
  return body === undefined ? {} : body;
}

async function timed<T>(metrics: Metrics, tx: string, call: () => Promise<T>): Promise<T> {
  const stop = metrics.ledgerDuration.startTimer({ tx });
  try {
    const result = await call();
    stop({ outcome: 'ok' });
    return result;
  } catch (error) {
    stop({ outcome: 'refused' });
    throw error;
  }
}

const routeTable: readonly { readonly method: string; readonly pattern: RegExp }[] = [
  { method: 'GET', path: '/v1/receipts' },
  ...operations.map((operation) => ({ method: operation.method.toUpperCase(), path: operation.path })),
  ...evidenceOperations.map((operation) => ({ method: operation.method.toUpperCase(), path: operation.path })),
  // Case-insensitive, as Express matches routes.
].map(({ method, path }) => ({ method, pattern: new RegExp(`^${path.replaceAll(/\{[a-zA-Z]+\}/g, '[^/]+')}/?$`, 'i') }));

/** The methods the API has on a path (empty when it has no such path): what a 405's Allow header lists. */
export function allowedMethods(path: string): string[] {
  return [...new Set(routeTable.filter((route) => route.pattern.test(path)).map((route) => route.method))].sort();
}

export function expressPath(openApiPath: string): string {
  return openApiPath.replaceAll(/\{([a-zA-Z]+)\}/g, ':$1');
}
