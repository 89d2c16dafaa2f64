/**
 * OpenTelemetry, off by default. Imported first by start.ts: the instrumentations patch http,
 * express, pg and kafkajs as they are required, so they must be registered before any of them
 * loads. Without OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-only variant) nothing is loaded or
 * patched. The SDK reads the standard OTEL_* variables itself (protocol http/protobuf by
 * default, service name, sampler, resource attributes).
 */
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { enableTraceContext } from './shared/trace-context';

let sdk: NodeSDK | undefined;

function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

if (tracingRequested(process.env) && process.env.OTEL_SDK_DISABLED !== 'true') {
  // Loaded only when on, synchronously: an `import()` would resolve after the service's modules.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK: Sdk } =
    require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation } =
    require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { PgInstrumentation } =
    require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { KafkaJsInstrumentation } =
    require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs');
  /* eslint-enable @typescript-eslint/no-require-imports */
  sdk = new Sdk({
    serviceName: process.env.OTEL_SERVICE_NAME ?? 'order-service',
    instrumentations: [
      // Probes and scrapes are not journeys: no spans for them.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) =>
          /^\/(health|ready|metrics)\b/.test(request.url ?? ''),
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new KafkaJsInstrumentation(),
    ],
    // Traces only: log lines go to stdout with their trace_id, metrics to /metrics.
    logRecordProcessors: [],
  });
  sdk.start();
  enableTraceContext();
}

/** Flushes the spans still buffered (on shutdown). */
export async function shutdownTracing(): Promise<void> {
  await sdk?.shutdown();
}
