import { AsyncLocalStorage } from 'node:async_hooks';

/** Carries the request id through async work so every log line about a request can name it. */
export interface RequestContext {
  requestId: string;
  /** The order the request is about, once known (set by the route). */
  orderId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runWithRequestContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** Names the order the current request is about, so the rest of its log lines carry it. */
export function setContextOrderId(orderId: string): void {
  const context = storage.getStore();
  if (context) context.orderId = orderId;
}
