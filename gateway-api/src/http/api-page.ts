import express, { type Router } from 'express';
import { createRequire } from 'node:module';

/** The API page: Swagger UI from the swagger-ui-dist package, served locally (no CDN), reading /openapi.json. */
export function apiPage(): Router {
  const require = createRequire(import.meta.url);
  const swagger = require('swagger-ui-dist') as { getAbsoluteFSPath(): string };
  const router = express.Router();
  // Non-strict routing: this serves both /docs and /docs/, so asset paths are absolute.
  router.get('/docs', (_req, res) => {
    res.type('html').send(`<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Warehouse receipt registry API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(
      "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true, " +
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout', persistAuthorization: true });",
    );
  });
  router.use('/docs', express.static(swagger.getAbsoluteFSPath(), { index: false, maxAge: '1h' }));
  return router;
}
