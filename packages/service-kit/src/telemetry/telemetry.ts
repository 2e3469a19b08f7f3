import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Amqplib from '@opentelemetry/instrumentation-amqplib';
import type * as Express from '@opentelemetry/instrumentation-express';
import type * as Http from '@opentelemetry/instrumentation-http';
import type * as Pg from '@opentelemetry/instrumentation-pg';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkNode from '@opentelemetry/sdk-node';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type * as Semconv from '@opentelemetry/semantic-conventions';

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
  // The SDK, its exporters and instrumentations are required only when tracing is on: their module graph
  // cost ~4 s of a warm `npm start` under load (a third of it) for a process that exports nothing. require,
  // not import(): this must stay synchronous, ahead of the modules the instrumentations patch.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const { AmqplibInstrumentation } = require('@opentelemetry/instrumentation-amqplib') as typeof Amqplib;
  const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express') as typeof Express;
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof Http;
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof Pg;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof SdkNode;
  const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace-base') as typeof TraceBase;
  const { ATTR_SERVICE_NAME } = require('@opentelemetry/semantic-conventions') as typeof Semconv;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const exporter: TraceBase.SpanExporter =
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
