import type { RequestHandler } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import './locals.js';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Prometheus metrics of one gateway instance (its own registry, so several can run in one process). */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly ledgerDuration: Histogram<'tx' | 'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wr_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'wr_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'wr_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    ledgerDuration: new Histogram({
      name: 'wr_ledger_call_duration_seconds',
      help: 'Ledger submit/evaluate latency by transaction and outcome',
      labelNames: ['tx', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

/**
 * Gives every request an id (the caller's X-Request-Id when well-formed, else a new UUID), echoes it, and logs one
 * structured line per request when it finishes, with the route template rather than the raw path.
 */
export function requestObservability(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const offered = req.get('x-request-id');
    const requestId = offered !== undefined && requestIdPattern.test(offered) ? offered : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = res.locals.route ?? 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      logger.info(
        {
          requestId,
          method: req.method,
          route,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
          identity: res.locals.caller?.id,
        },
        'request',
      );
    });
    next();
  };
}
