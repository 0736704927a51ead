import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AuditLog } from './db/audit-log.js';
import type { IdempotencyStore } from './db/idempotency-store.js';
import type { IdentityStore } from './db/identity-store.js';
import type { receiptQueries } from './db/receipt-queries.js';
import type { AnchoringQueries } from './anchoring/bundles.js';
import type { EvidenceService } from './evidence/intake.js';
import { apiPage } from './http/api-page.js';
import { authenticate } from './http/auth.js';
import { takesBinaryBody } from './http/evidence-operations.js';
import { requestObservability, type Metrics } from './http/observability.js';
import { openApiDocument } from './http/openapi.js';
import { ApiError, problemHandler } from './http/problem.js';
import { tokenBucket } from './http/rate-limit.js';
import { allowedMethods, apiRoutes } from './http/routes.js';
import type { Wallet } from './identity/wallet.js';
import type { Registry } from './registry/registry.js';

/** A component's health as /healthz reports it. */
export interface HealthCheck {
  /** `degraded`: working, but a part retries (e.g. anchoring while the chain is unreachable); /healthz stays 200. */
  readonly status: 'up' | 'degraded' | 'down' | 'not-configured';
  readonly [detail: string]: unknown;
}

export interface AppDependencies {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly registry: Registry;
  readonly identities: IdentityStore;
  readonly wallet: Wallet;
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly receipts: ReturnType<typeof receiptQueries>;
  readonly evidence: EvidenceService;
  readonly anchoring: AnchoringQueries;
  readonly health: () => Promise<Record<string, HealthCheck>>;
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly burst: number; readonly perSecond: number };
  readonly authFailureLimit: { readonly burst: number; readonly perSecond: number };
  /** Base URL the OpenAPI document names as its server. */
  readonly publicUrl: () => string;
}

/** The HTTP application: thin routes over the ledger, one error handler, problem+json everywhere. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestObservability(deps.logger, deps.metrics));
  app.use(securityHeaders);

  app.get('/healthz', async (_req, res) => {
    res.locals.route = 'GET /healthz';
    const checks = await deps.health();
    const up = Object.values(checks).every((check) => check.status !== 'down');
    res.status(up ? 200 : 503).json({ status: up ? 'ok' : 'unavailable', checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.locals.route = 'GET /metrics';
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  let document: object | undefined;
  app.get('/openapi.json', (_req, res) => {
    res.locals.route = 'GET /openapi.json';
    document ??= openApiDocument(deps.publicUrl());
    res.json(document);
  });
  app.use(apiPage());

  app.use('/v1', requireJsonBody, express.json({ limit: deps.bodyLimitBytes, strict: true, type: isJson }));
  app.use('/v1', authenticate(deps.identities, deps.wallet, tokenBucket(deps.rateLimit), tokenBucket(deps.authFailureLimit)));
  app.use(
    '/v1',
    apiRoutes({
      registry: deps.registry,
      idempotency: deps.idempotency,
      audit: deps.audit,
      receipts: deps.receipts,
      metrics: deps.metrics,
      evidence: deps.evidence,
      anchoring: deps.anchoring,
      onAuditFailure: (error) => deps.logger.error({ err: error }, 'audit log write failed'),
    }),
  );
  app.use((req, res, next) => {
    const allowed = allowedMethods(req.path);
    if (allowed.length > 0) {
      res.setHeader('Allow', allowed.join(', '));
      next(new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}; allowed: ${allowed.join(', ')}`));
      return;
    }
    next(new ApiError(404, 'ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}; see /openapi.json`));
  });
  app.use(problemHandler(deps.logger));
  return app;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  next();
};

function isJson(req: { headers: Record<string, string | string[] | undefined> }): boolean {
  const type = req.headers['content-type'];
  return typeof type === 'string' && /^application\/([a-z.+-]*\+)?json\b/i.test(type.trim());
}

/**
 * A request that carries a body must say it is JSON; anything else is 415 rather than silently ignored. The one
 * exception, a document's bytes, is left to its route (which insists on application/octet-stream).
 */
const requireJsonBody: RequestHandler = (req, _res, next) => {
  const length = Number(req.headers['content-length'] ?? '0');
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if ((length > 0 || chunked) && !isJson(req) && !takesBinaryBody(req.method, req.baseUrl + req.path)) {
    next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json'));
    return;
  }
  next();
};
