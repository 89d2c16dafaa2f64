import { connect } from 'node:net';
import { aValidOrder, jsonHeaders, postOrder, readJson } from '../../support/order-service-harness';
import { runningService } from '../../support/fixtures/running-service';

const NUL = '\u0000';
const LONE_SURROGATE = '\ud800';

/** What a client sees for a bad string: 400 problem+json naming the field, never a 500. */
async function expectFieldRefused(response: Response, path: string) {
  expect(response.status).toBe(400);
  const problem = await readJson(response);
  expect(problem.type).toBe('/problems/validation');
  expect(problem.errors.map((error: { path: string }) => error.path)).toContain(path);
}

/** One raw HTTP/1.1 request, for bytes fetch() refuses to send; resolves with the status line. */
function rawRequest(baseUrl: string, head: Buffer): Promise<string> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.end(head));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

const app = runningService();

describe('strings from clients: NUL, lone surrogates, Unicode normalisation, invisible characters', () => {
  const withItem = (item: Record<string, unknown>) =>
    aValidOrder({
      items: [{ productId: 'sku-1', productName: 'Beans', quantity: 1, unitPrice: 100, ...item }],
    });

  describe.each([
    ['NUL', NUL],
    ['a lone surrogate', LONE_SURROGATE],
  ])('%s', (_name, bad) => {
    test.each([
      ['customerId', aValidOrder({ customerId: `c${bad}1` })],
      ['currency', aValidOrder({ currency: `EU${bad}` })],
      ['items.0.productId', withItem({ productId: `sku${bad}` })],
      ['items.0.productName', withItem({ productName: `Beans${bad}` })],
    ])('when the body field %s holds it, then 400 naming the field', async (path, body) => {
      await expectFieldRefused(await postOrder(app.url, body), path);
    });

    test('when a cancellation reason holds it, then 400 naming the field', async () => {
      const { id } = await readJson(await postOrder(app.url, aValidOrder()));
      const response = await fetch(`${app.url}/api/v1/orders/${id}/cancel`, {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({ reason: `changed${bad}mind` }),
      });
      await expectFieldRefused(response, 'reason');
    });
  });

  // Issue 19 item 13: shown to a customer or an operator, these disguise or reorder text.
  describe.each([
    ['a tab (C0)', '\t'],
    ['a line feed (C0)', '\n'],
    ['an escape (C0)', '\u001b[31m'],
    ['DEL', '\u007f'],
    ['a C1 control (CSI)', '\u009b'],
    ['a left-to-right mark', '\u200e'],
    ['a right-to-left mark', '\u200f'],
    ['an Arabic letter mark', '\u061c'],
    ['a left-to-right embedding', '\u202a'],
    ['a right-to-left override', '\u202e'],
    ['a first-strong isolate', '\u2068'],
    ['a pop directional isolate', '\u2069'],
  ])('%s', (_name, bad) => {
    test('when a product name holds it, then 400 naming the field', async () => {
      await expectFieldRefused(
        await postOrder(app.url, withItem({ productName: `Bea${bad}ns` })),
        'items.0.productName',
      );
    });

    test('when a cancellation reason holds it, then 400 naming the field', async () => {
      const { id } = await readJson(await postOrder(app.url, aValidOrder()));
      const response = await fetch(`${app.url}/api/v1/orders/${id}/cancel`, {
        method: 'POST',
        headers: jsonHeaders,
        body: JSON.stringify({ reason: `changed${bad}mind` }),
      });
      await expectFieldRefused(response, 'reason');
    });
  });

  test('when a list query holds NUL, then 400 naming the parameter', async () => {
    const query = new URLSearchParams({ customerId: `c${NUL}1` });
    await expectFieldRefused(await fetch(`${app.url}/api/v1/orders?${query}`), 'customerId');
  });

  test('when a list query holds the bytes of a surrogate, then they arrive as U+FFFD, never as a lone surrogate', async () => {
    // A URL cannot carry a lone surrogate: its UTF-8 bytes are invalid and decode to U+FFFD.
    const response = await fetch(`${app.url}/api/v1/orders?customerId=c%ED%A0%801`);
    expect(response.status).toBe(200);
    expect((await readJson(response)).items).toEqual([]);
  });

  test('when an order id in the path holds NUL or an undecodable surrogate, then 400', async () => {
    expect((await fetch(`${app.url}/api/v1/orders/%00`)).status).toBe(400);
    const surrogate = await fetch(`${app.url}/api/v1/orders/%ED%A0%80`);
    expect(surrogate.status).toBe(400);
    expect(surrogate.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('when the Idempotency-Key holds NUL or the bytes of a surrogate, then 400', async () => {
    const body = JSON.stringify(aValidOrder());
    const request = (key: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nIdempotency-Key: `,
        ),
        key,
        Buffer.from(`\r\n\r\n${body}`),
      ]);
    expect(await rawRequest(app.url, request(Buffer.from('key\u0000one', 'latin1')))).toMatch(
      /^HTTP\/1\.1 400/,
    );
    expect(await rawRequest(app.url, request(Buffer.from([0x6b, 0xed, 0xa0, 0x80])))).toMatch(
      /^HTTP\/1\.1 400/,
    );
  });

  test('when an Idempotency-Key has a space, then 400 (printable ASCII without spaces)', async () => {
    const response = await postOrder(app.url, aValidOrder(), { 'idempotency-key': 'two words' });
    await expectFieldRefused(response, '(root)');
  });

  test.each([
    ['a space', 'c 1'],
    ['a leading space', ' c1'],
    ['a zero-width space', 'c\u200b1'],
    ['a right-to-left override', '\u202ec1'],
    ['a soft hyphen', 'c\u00ad1'],
    ['a tab', 'c\t1'],
    ['a Hangul filler', 'c\u31641'],
  ])('when a customer id holds %s, then 400', async (_case, customerId) => {
    await expectFieldRefused(await postOrder(app.url, aValidOrder({ customerId })), 'customerId');
  });

  test('when a product id holds an invisible character, then 400', async () => {
    await expectFieldRefused(
      await postOrder(app.url, withItem({ productId: 'sku\u200d1' })),
      'items.0.productId',
    );
  });

  test('when a customer id arrives decomposed, then it is stored in NFC and found by its composed form', async () => {
    const response = await postOrder(app.url, aValidOrder({ customerId: 'jose\u0301-nfc' }));
    expect(response.status).toBe(202);
    expect((await readJson(response)).customerId).toBe('jos\u00e9-nfc');
    const stored = await app.sql.query('SELECT customer_id FROM orders WHERE customer_id = $1', [
      'jos\u00e9-nfc',
    ]);
    expect(stored.rowCount).toBe(1);
    const listed = await readJson(
      await fetch(`${app.url}/api/v1/orders?customerId=${encodeURIComponent('jos\u00e9-nfc')}`),
    );
    expect(listed.items).toHaveLength(1);
  });

  test('when one product appears composed and decomposed on two lines, then it is one product: 400', async () => {
    const body = aValidOrder({
      items: [
        { productId: 'caf\u00e9', productName: 'A', quantity: 1, unitPrice: 1 },
        { productId: 'cafe\u0301', productName: 'A', quantity: 1, unitPrice: 1 },
      ],
    });
    await expectFieldRefused(await postOrder(app.url, body), 'items.1.productId');
  });

  test('when a product name holds spaces and accents, then it is kept as sent', async () => {
    const response = await postOrder(app.url, withItem({ productName: 'Café crème 1 kg' }));
    expect(response.status).toBe(202);
    expect((await readJson(response)).items[0].productName).toBe('Café crème 1 kg');
  });

  test('when any of these requests was refused, then no string with NUL or a surrogate was stored', async () => {
    const { rows } = await app.sql.query(
      `SELECT count(*)::int AS n FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.customer_id LIKE '%' || chr(65533) || '%' OR i.product_name LIKE '%' || chr(65533) || '%'`,
    );
    expect(rows[0].n).toBe(0);
  });
});
