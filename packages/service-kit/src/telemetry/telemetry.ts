import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ConsoleSpanExporter, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  exporter: 'otlp' | 'console' | 'none';
  /** OTLP/HTTP endpoint, e.g. http://otel-collector:4318. */
  otlpEndpoint?: string;
}

/**
 * Starts OpenTelemetry tracing for HTTP, express, pg and amqplib with W3C trace context (the NodeSDK
 * default propagator).
 *
 * ORDER MATTERS: the instrumentations patch modules when they are first required, so call this at the very
 * top of main.ts, before anything imports express, pg or amqplib (directly or through the kit's barrel).
 * In practice: a tiny `src/tracing.ts` that reads its config and calls startTelemetry, imported as the
 * first line of main.ts, or loaded with `node --require`. Modules loaded earlier stay uninstrumented.
 *
 * With the exporter 'none' no SDK is started: no spans, and injectTraceContext adds nothing (the global
 * propagator is the no-op one). Call `shutdown()` last when the process stops, to flush spans.
 */
export function startTelemetry(options: TelemetryOptions): { shutdown(): Promise<void> } {
  if (options.exporter === 'none') return { shutdown: async () => undefined };
  const exporter: SpanExporter =
    options.exporter === 'console'
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter(
          options.otlpEndpoint ? { url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` } : {},
        );
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    traceExporter: exporter,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => req.url === '/healthz' || req.url === '/readyz',
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation(),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}

export { currentTraceId, injectTraceContext, withExtractedContext } from './context';
