import { bearer, customerToken, mintToken, operatorToken } from './auth-tokens';

/** The four callers of the console's role matrix, as Authorization headers. */
export interface ConsoleCallers {
  none: Record<string, string>;
  customer: Record<string, string>;
  viewer: Record<string, string>;
  operator: Record<string, string>;
}

export async function consoleCallers(): Promise<ConsoleCallers> {
  return {
    none: {},
    customer: bearer(await customerToken('customer-7')),
    viewer: bearer(await mintToken('viewer-3', { roles: ['viewer'] })),
    operator: bearer(await operatorToken('ops-9')),
  };
}

/** A call to the console's JSON API on the admin port. */
export function consoleFetch(
  adminUrl: string,
  path: string,
  headers: Record<string, string>,
  { method = 'GET', body }: { method?: string; body?: unknown } = {},
): Promise<Response> {
  return fetch(`${adminUrl}/console/api/${path.replace(/^\//, '')}`, {
    method,
    headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
