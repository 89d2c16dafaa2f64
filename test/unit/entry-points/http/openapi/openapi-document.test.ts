import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { createApp, type WebServerDependencies } from '../../../../../src/entry-points/http/server';
import {
  DOCS_PATH,
  OPENAPI_PATH,
  openApiDocument,
} from '../../../../../src/entry-points/http/openapi/openapi-document';
import { createReadiness } from '../../../../../src/entry-points/http/readiness';
import { createLogger } from '../../../../../src/shared/logger';
import { createMetrics } from '../../../../../src/shared/metrics';

/**
 * The app's routes are read from Express's own router stack, so a route added anywhere without
 * its entry in the document (or an entry left behind when a route goes) fails here. No request
 * reaches the stores: they are never called by the routes under test.
 */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not for this test')) });

function anApp(): Express {
  return createApp({
    orders: unused,
    saga: unused,
    stepTimeouts: { payment: 1_000, inventory: 1_000 },
    readiness: createReadiness([]),
    authentication: { mode: 'jwt', secret: 'a-secret-of-at-least-thirty-two-characters' },
    rateLimits: { perMinute: { create: 0, read: 0, cancel: 0 } },
    logger: createLogger('silent'),
    metrics: createMetrics(),
  } as unknown as WebServerDependencies);
}

interface StackLayer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: StackLayer[] };
}

/** `METHOD /path/{param}` for every route, through mounted routers; and the mounted non-routers. */
function servedRoutes(stack: StackLayer[], prefix = ''): { routes: string[]; mounts: string[] } {
  const routes: string[] = [];
  const mounts: string[] = [];
  for (const layer of stack) {
    const path = `${prefix}${layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''}`;
    if (layer.route) {
      const full = `${prefix}${layer.route.path}`.replace(/(.)\/$/, '$1');
      for (const method of Object.keys(layer.route.methods)) {
        routes.push(`${method.toUpperCase()} ${full.replace(/:(\w+)/g, '{$1}')}`);
      }
    } else if (layer.handle.stack) {
      const inner = servedRoutes(layer.handle.stack, path);
      routes.push(...inner.routes);
      mounts.push(...inner.mounts);
    } else if (path !== prefix) {
      mounts.push(path);
    }
  }
  return { routes, mounts };
}

function documentedRoutes(): string[] {
  return Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe('the OpenAPI document', () => {
  test('when the app is built, then every route it serves is documented, and nothing else is', () => {
    const router = (anApp() as unknown as { router: { stack: StackLayer[] } }).router;
    const { routes, mounts } = servedRoutes(router.stack);
    // The docs page's own start script and Swagger UI's files are parts of the page, not API.
    const pageParts = routes.filter((route) => route.startsWith(`GET ${DOCS_PATH}/`));
    expect(pageParts).toEqual([`GET ${DOCS_PATH}/start.js`]);
    const api = routes.filter((route) => !pageParts.includes(route));
    expect(new Set(api)).toEqual(new Set(documentedRoutes()));
    // Middleware mounted on a path (auth, headers, static files) serves documented paths only.
    const documentedPaths = Object.keys(openApiDocument().paths);
    expect(mounts.filter((mount) => !documentedPaths.includes(mount))).toEqual([
      `${DOCS_PATH}/assets`,
    ]);
  });

  describe('when served', () => {
    let server: Server;
    let url: string;
    beforeAll(async () => {
      server = anApp().listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    test('then /openapi.json needs no token and is OpenAPI 3.1 with the bearer scheme', async () => {
      const response = await fetch(`${url}${OPENAPI_PATH}`);
      expect(response.status).toBe(200);
      const document = (await response.json()) as ReturnType<typeof openApiDocument>;
      expect(document.openapi).toBe('3.1.0');
      expect(document.components.securitySchemes.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      // Every $ref points at something the document has.
      const refs = JSON.stringify(document).match(/"\$ref":"#\/[^"]+"/g) ?? [];
      for (const ref of refs) {
        const path = ref.slice(10, -1).split('/');
        const target = path.reduce<unknown>(
          (node, key) => (node as Record<string, unknown> | undefined)?.[key],
          document,
        );
        expect({ ref, found: target !== undefined }).toEqual({ ref, found: true });
      }
    });

    test('then the docs page and Swagger UI come from this origin under a policy allowing them', async () => {
      const page = await fetch(`${url}${DOCS_PATH}`);
      expect(page.status).toBe(200);
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toContain("script-src 'self' 'unsafe-inline'");
      const html = await page.text();
      const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(sources.length).toBe(3);
      for (const source of sources) {
        expect(source).toMatch(/^\//);
        expect((await fetch(`${url}${source}`)).status).toBe(200);
      }
    });

    test('then the orders behind it still need a token', async () => {
      const response = await fetch(`${url}/api/v1/orders`);
      expect(response.status).toBe(401);
    });
  });
});
