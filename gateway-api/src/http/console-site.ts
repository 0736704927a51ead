import express, { type Router } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from './problem.js';

/** The console workspace's build output (gateway-api/console/dist), beside this package's own dist. */
export const defaultConsoleDir = fileURLToPath(new URL('../../../console/dist', import.meta.url));

/** Paths that are the API's, never the console's: they answer problem+json, not the console's page. */
const apiPaths = /^\/(v1|docs|openapi\.json|healthz|metrics)(\/|$)/;

/**
 * The console: the built files of gateway-api/console, the verification page at /verify, and the console's page for
 * any other GET of a page (its routes are the browser's), so that a reload or a bookmark works. Hashed assets are
 * cached for a year; pages are not cached, so a new build is seen at once. Without a build, pages say how to make one.
 */
export function consoleSite(dir: string): Router {
  const router = express.Router();
  const page = (name: string) => join(dir, name);
  const contentSecurity = [
    "default-src 'self'",
    // antd writes its styles at run time (CSS-in-JS); scripts are only the build's own files.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "script-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  // The verification page is one file with its script inline (so that it also works opened from disk), and it reads
  // the chain from whatever JSON-RPC endpoint the person names; it loads nothing else, from us or anyone.
  const verifySecurity = [
    "default-src 'none'",
    "script-src 'unsafe-inline'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    'connect-src http: https:',
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  // Named by their content's hash: a new build has new names, so a year's caching never serves a stale one.
  router.use(
    '/assets',
    express.static(join(dir, 'assets'), { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=31536000, immutable') }),
  );
  router.use('/assets', (req, _res, next) => next(new ApiError(404, 'ROUTE_NOT_FOUND', `no console asset ${req.originalUrl}: the console was rebuilt since this page loaded; reload it`)));
  router.get(/^\/(?!assets\/)[^.]*$/, (req, res, next) => {
    // Only a browser asking for a page (curl's */* gets the API's 404 for an unknown path, not the console).
    if (apiPaths.test(req.path) || !(req.get('accept') ?? '').includes('text/html')) {
      next();
      return;
    }
    const name = req.path === '/verify' || req.path === '/verify/' ? 'verify.html' : 'index.html';
    if (!existsSync(page(name))) {
      next(new ApiError(503, 'CONSOLE_NOT_BUILT', `the console is not built in ${dir}: run npm run build`));
      return;
    }
    res.locals.route = name === 'verify.html' ? 'GET /verify' : 'GET /';
    res.setHeader('Content-Security-Policy', name === 'verify.html' ? verifySecurity : contentSecurity);
    res.setHeader('X-Frame-Options', 'DENY');
    res.sendFile(page(name), { headers: { 'Cache-Control': 'no-cache' } });
  });
  // The verification page to keep: the same file, downloaded.
  router.get('/wr-verify.html', (_req, res, next) => {
    res.locals.route = 'GET /wr-verify.html';
    if (!existsSync(page('verify.html'))) {
      next(new ApiError(503, 'CONSOLE_NOT_BUILT', `the console is not built in ${dir}: run npm run build`));
      return;
    }
    res.setHeader('Content-Security-Policy', verifySecurity);
    res.download(page('verify.html'), 'wr-verify.html', { headers: { 'Cache-Control': 'no-cache' } });
  });
  return router;
}
