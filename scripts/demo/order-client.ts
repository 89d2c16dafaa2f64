/** The demo's REST client: plain fetch against the running service, with a bearer token. */
export interface OrderResource {
  id: string;
  status: string;
  createdAt: string;
  history?: { from: string | null; to: string; reason: string | null; at: string }[];
}

export function createOrderClient(baseUrl: string, token: string) {
  const ordersUrl = `${baseUrl}/api/v1/orders`;
  const authorization = { authorization: `Bearer ${token}` };
  async function expectStatus(response: Response, status: number, what: string) {
    if (response.status !== status) {
      throw new Error(`${what} answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as OrderResource;
  }
  return {
    async place(body: object, idempotencyKey: string): Promise<OrderResource> {
      const response = await fetch(ordersUrl, {
        method: 'POST',
        headers: {
          ...authorization,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
      });
      return expectStatus(response, 202, 'POST /api/v1/orders');
    },
    async get(id: string): Promise<OrderResource> {
      const response = await fetch(`${ordersUrl}/${id}`, { headers: authorization });
      return expectStatus(response, 200, `GET order ${id}`);
    },
    async cancel(id: string, reason: string): Promise<OrderResource> {
      const response = await fetch(`${ordersUrl}/${id}/cancel`, {
        method: 'POST',
        headers: { ...authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ reason }),
      });
      return expectStatus(response, 200, `cancel order ${id}`);
    },
  };
}

/** Polls until `check` returns a value, or fails naming `what` after `timeoutMs`. */
export async function poll<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
