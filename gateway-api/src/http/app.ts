import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { AuditLog } from '../db/audit-log.js';
import type { IdempotencyStore } from '../db/idempotency-store.js';
import type { IdentityStore } from '../db/identity-store.js';
import type { Wallet } from '../identity/wallet.js';
import type { HealthCheck } from '../platform/module.js';
import { apiPage } from './api-page.js';
import { consoleSite, defaultConsoleDir } from './console-site.js';
import type { DevIdentity } from './dev-identities.js';
import { authenticate } from './auth.js';
import { requestObservability, type Metrics } from './observability.js';
import { openApiDocument } from './openapi.js';
import type { ServedOperation } from './operation.js';
import { ApiError, problemHandler } from './problem.js';
import { tokenBucket } from './rate-limit.js';
import { apiRoutes, routeTable } from './routes.js';

export interface AppDependencies {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Every operation of every started module. */
  readonly operations: readonly ServedOperation[];
  readonly identities: IdentityStore;
  readonly wallet: Wallet;
  readonly idempotency: IdempotencyStore;
  readonly audit: AuditLog;
  readonly health: () => Promise<Record<string, HealthCheck>>;
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly burst: number; readonly perSecond: number };
  readonly authFailureLimit: { readonly burst: number; readonly perSecond: number };
  /** Base URL the OpenAPI document names as its server. */
  readonly publicUrl: () => string;
  /** The demo identities and their tokens (embedded dev defaults), listed on the console's sign-in page; else none. */
  readonly devIdentities?: readonly DevIdentity[] | undefined;
  /** Where the built console is (default: the console workspace's dist folder). */
  readonly consoleDir?: string;
}

/** The HTTP application: thin routes over the ledger, one error handler, problem+json everywhere. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  const routes = routeTable(deps.operations);
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
    document ??= openApiDocument(deps.operations, deps.publicUrl());
    res.json(document);
  });
  app.use(apiPage());
  app.get('/v1/dev-identities', (_req, res, next) => {
    res.locals.route = 'GET /v1/dev-identities';
    if (deps.devIdentities === undefined) {
      next(new ApiError(404, 'DEV_IDENTITIES_OFF', 'demo identities exist only on embedded dev defaults (DEV_IDENTITIES); sign in with a token'));
      return;
    }
    res.json({ data: deps.devIdentities });
  });

  app.use('/v1', requireJsonBody(routes.takesBinaryBody), express.json({ limit: deps.bodyLimitBytes, strict: true, type: isJson }));
  app.use('/v1', authenticate(deps.identities, deps.wallet, tokenBucket(deps.rateLimit), tokenBucket(deps.authFailureLimit)));
  app.use(
    '/v1',
    apiRoutes({
      operations: deps.operations,
      idempotency: deps.idempotency,
      audit: deps.audit,
      metrics: deps.metrics,
      onAuditFailure: (error) => deps.logger.error({ err: error }, 'audit log write failed'),
    }),
  );
  app.use(consoleSite(deps.consoleDir ?? defaultConsoleDir));
  app.use((req, res, next) => {
    const allowed = routes.allowedMethods(req.path);
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
function requireJsonBody(takesBinaryBody: (method: string, path: string) => boolean): RequestHandler {
  return (req, _res, next) => {
    const length = Number(req.headers['content-length'] ?? '0');
    const chunked = req.headers['transfer-encoding'] !== undefined;
    if ((length > 0 || chunked) && !isJson(req) && !takesBinaryBody(req.method, req.baseUrl + req.path)) {
      next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json'));
      return;
    }
    next();
  };
}
