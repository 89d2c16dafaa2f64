import { Client } from 'pg';
import { loadConfig } from '../../src/config';
import { startOrderService, type RunningService } from '../../src/application';
import { createTestDatabase } from './database';

export interface TestService {
  url: string;
  databaseUrl: string;
  service: RunningService;
  /** A plain pg client on the same database, for asserting what was stored. */
  sql: Client;
  stop(): Promise<void>;
}

/** The real service on port 0 against a fresh database of its own. */
export async function startTestService(env: Record<string, string> = {}): Promise<TestService> {
  const database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, PORT: '0', LOG_LEVEL: 'silent', ...env });
  const service = await startOrderService(config);
  const sql = new Client({ connectionString: database.url });
  await sql.connect();
  return {
    url: service.http.url,
    databaseUrl: database.url,
    service,
    sql,
    async stop() {
      await sql.end();
      await service.stop();
      await database.drop();
    },
  };
}

export const jsonHeaders = { 'content-type': 'application/json' };

export function aValidOrder(overrides: Record<string, unknown> = {}) {
  return {
    customerId: 'customer-42',
    currency: 'EUR',
    items: [
      { productId: 'sku-1', productName: 'Espresso beans 1kg', quantity: 2, unitPrice: 1_899 },
      { productId: 'sku-2', productName: 'Milk jug', quantity: 1, unitPrice: 1_250 },
    ],
    ...overrides,
  };
}

export async function postOrder(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/orders`, {
    method: 'POST',
    headers: { ...jsonHeaders, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Test-side reader: the body as loosely typed JSON, for `toMatchObject`-style assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
