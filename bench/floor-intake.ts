// The Node floor for intake (issue 23): node:http + pg, nothing else. JSON parse, a shape check,
// then intake's own statement (src/data-access/order-repository.ts), prepared, autocommit (one
// commit per order, durable as the server is), on a pool of the service's size (POOL_SIZE).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Pool } from 'pg';

const { DATABASE_URL, PORT, POOL_SIZE } = process.env;
const pool = new Pool({ connectionString: DATABASE_URL, max: Number(POOL_SIZE ?? 10) });
const STATEMENT = `WITH new_order AS (
  INSERT INTO orders (id, customer_id, status, currency, total_amount, idempotency_key, request_hash, step_deadline_at, updated_at)
  VALUES ($1::uuid, $2, 'PENDING', $3, $4::bigint, NULL, NULL, now() + interval '30 seconds', now()) RETURNING created_at
), new_items AS (
  INSERT INTO order_items (order_id, position, product_id, product_name, unit_price, quantity, line_total)
  SELECT $1::uuid, i.position, i."productId", i."productName", i."unitPrice", i.quantity, i."lineTotal"
  FROM jsonb_to_recordset($5::jsonb) AS i(position int, "productId" text, "productName" text, "unitPrice" bigint, quantity int, "lineTotal" bigint)
), first_history AS (
  INSERT INTO order_status_history (order_id, to_status, reason) VALUES ($1::uuid, 'PENDING', 'order placed')
), announcement AS (
  INSERT INTO outbox (event_id, order_id, topic, key, payload) VALUES ($6::uuid, $1::uuid, 'process_payment_request', $1, $7::jsonb)
) SELECT created_at FROM new_order`;
type Item = { productId: string; productName: string; quantity: number; unitPrice: number };
type Order = { customerId?: unknown; currency?: unknown; items?: Item[] };
const positive = (n: unknown, min: number) => Number.isInteger(n) && (n as number) >= min;
const text = (...values: unknown[]) => values.every((value) => typeof value === 'string');
const validItem = (i: Item) =>
  text(i?.productId, i?.productName) && positive(i.quantity, 1) && positive(i.unitPrice, 0);
const valid = ({ customerId, currency, items }: Order) =>
  text(customerId) && /^[A-Z]{3}$/.test(String(currency)) && Array.isArray(items);

async function placeOrder(body: Order): Promise<[number, unknown]> {
  const items = valid(body) ? (body.items as Item[]) : [];
  if (!items.length || !items.every(validItem)) return [400, {}];
  const lines = items.map((i, n) => ({ position: n, ...i, lineTotal: i.quantity * i.unitPrice }));
  const amount = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  const [orderId, eventId, { customerId, currency }] = [randomUUID(), randomUUID(), body];
  const event = { eventId, orderId, customerId, amount, currency, occurredAt: Date.now() };
  const [json, name] = [JSON.stringify, 'insert-new-order'];
  const values = [orderId, customerId, currency, amount, json(lines), eventId, json(event)];
  const { rows } = await pool.query({ name, text: STATEMENT, values });
  return [202, { id: orderId, status: 'PENDING', ...body, totalAmount: amount, ...rows[0] }];
}

const JSON_TYPE = { 'content-type': 'application/json' };
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const answer = (status: number, body: unknown) =>
      void response.writeHead(status, JSON_TYPE).end(JSON.stringify(body));
    if (request.method !== 'POST' || request.url !== '/api/v1/orders') return answer(404, {});
    Promise.resolve()
      .then(() => placeOrder(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Order))
      .then(([status, json]) => answer(status, json))
      .catch((e: Error) => answer(e instanceof SyntaxError ? 400 : 500, { title: e.message }));
  });
});
server.listen(Number(PORT ?? 0), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => void pool.end()));
