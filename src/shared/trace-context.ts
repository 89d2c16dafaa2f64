import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ROOT_CONTEXT,
  SpanKind,
  context,
  propagation,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

/**
 * Trace context across the outbox: what a row stores when written, and the context its record
 * is sent and handled in. Everything here is a no-op returning null while tracing is off
 * (src/tracing.ts turns it on), so hot paths pay one boolean check.
 */
let enabled = false;

export function enableTraceContext(): void {
  enabled = true;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Names the route of the HTTP request being handled, as Express's instrumentation does for the
 * routes it sees: the server span gets `http.route` and its name (`POST /api/v1/orders`). For
 * routes served without Express (entry-points/http/create-order-endpoint.ts).
 */
export function nameHttpRoute(route: string): void {
  if (!enabled) return;
  const metadata = getRPCMetadata(context.active());
  if (metadata?.type === RPCType.HTTP) metadata.route = route;
}

/** The W3C `traceparent` of a context, or null when it carries no valid span. */
function traceparentOf(ctx: Context): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored or received `traceparent` names (the root context if none). */
export function contextOf(traceparent: string | null | undefined): Context {
  if (!enabled || !traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/**
 * Per event id of a record being handled: the traceparent its effects continue. Set by the
 * consumer around a batch (several orders share one transaction, so no single active context
 * fits every row written).
 */
const causingTraces = new AsyncLocalStorage<Map<string, string>>();

export function runWithCausingTraces<T>(traces: Map<string, string>, work: () => T): T {
  return enabled ? causingTraces.run(traces, work) : work();
}

/**
 * The traceparent to store on an outbox row: that of the record that caused it when a consumer
 * handles one, else the active context's (the HTTP request at intake). Null when tracing is off.
 */
export function traceparentForRow(causingEventId: string | null = null): string | null {
  if (!enabled) return null;
  const causing =
    causingEventId === null ? undefined : causingTraces.getStore()?.get(causingEventId);
  return causing ?? traceparentOf(context.active());
}

/** The active trace id, for log lines (undefined when tracing is off or outside a trace). */
export function activeTraceId(): string | undefined {
  if (!enabled) return undefined;
  const span = trace.getActiveSpan()?.spanContext();
  return span && trace.isSpanContextValid(span) ? span.traceId : undefined;
}

/**
 * Runs `send` once per run of consecutive messages with the same stored `traceparent` header,
 * inside that context, in order (one order's records keep their sequence). The kafkajs
 * instrumentation then starts its send span as a child of the stored context and writes that
 * span's traceparent on the record: a child of the stored one, so the consumer continues the
 * same trace. Off: one call, untouched.
 */
export async function sendInStoredContexts<M extends { headers?: object | undefined }>(
  topicMessages: Array<{ topic: string; messages: M[] }>,
  send: (topicMessages: Array<{ topic: string; messages: M[] }>) => Promise<void>,
): Promise<void> {
  if (!enabled) return send(topicMessages);
  for (const { topic, messages } of topicMessages) {
    let run: M[] = [];
    let runParent: string | undefined;
    const flush = async () => {
      if (run.length === 0) return;
      const messagesOfRun = run;
      await context.with(contextOf(runParent), () => send([{ topic, messages: messagesOfRun }]));
      run = [];
    };
    for (const message of messages) {
      const parent = headerText(message.headers, 'traceparent');
      if (run.length > 0 && parent !== runParent) await flush();
      runParent = parent;
      run.push(message);
    }
    await flush();
  }
}

function headerText(headers: object | undefined, name: string): string | undefined {
  const value = (headers as Record<string, unknown> | undefined)?.[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString();
  return undefined;
}

/** Headers that carry a stored traceparent on a record (none when there is none). */
export function traceHeaders(traceparent: string | null | undefined): Record<string, string> {
  return enabled && traceparent ? { traceparent } : {};
}

/**
 * Starts the span of handling one consumed record, a child of the context in its headers, and
 * returns it with its traceparent (what the events it causes store). Undefined when off.
 */
export interface RecordSpan {
  span: Span;
  context: Context;
  traceparent: string | null;
}

export function startRecordSpan(
  topic: string,
  headers: object | undefined,
): RecordSpan | undefined {
  if (!enabled) return undefined;
  const parent = contextOf(headerText(headers, 'traceparent'));
  const span = trace
    .getTracer('order-service')
    .startSpan(`process ${topic}`, { kind: SpanKind.CONSUMER }, parent);
  const ctx = trace.setSpan(parent, span);
  return { span, context: ctx, traceparent: traceparentOf(ctx) };
}

/** Runs `work` inside a context (as is when tracing is off or there is none). */
export function runInContext<T>(ctx: Context | undefined, work: () => T): T {
  return enabled && ctx ? context.with(ctx, work) : work();
}
