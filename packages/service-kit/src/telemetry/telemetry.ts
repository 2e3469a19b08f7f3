import { context, propagation, trace } from '@opentelemetry/api';
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
 * Starts OpenTelemetry tracing for HTTP, express, pg and amqplib with W3C trace context. Call it first in
 * main.ts, before express, pg or amqplib are loaded, or their instrumentation cannot hook in. With the
 * exporter 'none' nothing is started and trace context still propagates through our own headers.
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

/** Adds the active trace context (traceparent, tracestate) to outgoing message or request headers. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** The current trace id, for log lines. */
export function currentTraceId(): string | undefined {
  return trace.getSpan(context.active())?.spanContext().traceId;
}
