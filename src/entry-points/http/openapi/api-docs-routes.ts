import { dirname } from 'node:path';
import express, { Router } from 'express';
import { DOCS_PATH, OPENAPI_PATH, openApiDocument } from './openapi-document';

/** Swagger UI's files, from the npm package: served from our own origin, no CDN. */
const SWAGGER_UI_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS_PATH = `${DOCS_PATH}/assets`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Order service API</title>
    <link rel="stylesheet" href="${ASSETS_PATH}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${ASSETS_PATH}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_PATH}/start.js"></script>
  </body>
</html>
`;

/** In a file of its own, so the page's policy can forbid inline scripts. */
const START_SCRIPT = `window.ui = SwaggerUIBundle({ url: '${OPENAPI_PATH}', dom_id: '#swagger-ui' });\n`;

/**
 * Swagger UI needs scripts and styles from this origin, inline style attributes and data: images;
 * everything else stays as the API's policy has it (nothing framed, nothing from elsewhere).
 */
const DOCS_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `/openapi.json` and the docs page. Neither needs a token: the contract is no secret, and the
 * orders behind it are still guarded.
 */
export function apiDocsRoutes(): Router {
  const router = Router();
  router.get(OPENAPI_PATH, (_req, res) => {
    res.json(openApiDocument());
  });
  router.use(DOCS_PATH, (_req, res, next) => {
    res.setHeader('Content-Security-Policy', DOCS_POLICY);
    next();
  });
  router.get(DOCS_PATH, (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get(`${DOCS_PATH}/start.js`, (_req, res) => {
    res.type('text/javascript').send(START_SCRIPT);
  });
  router.use(ASSETS_PATH, express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1h' }));
  return router;
}
