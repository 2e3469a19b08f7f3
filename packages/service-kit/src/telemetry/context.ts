import { context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';

/*
 * Trace context helpers on @opentelemetry/api alone (cheap to import, no SDK): they use whatever
 * propagator and context manager startTelemetry registered, and do nothing when none is.
 */

/** Adds the active trace context (traceparent, tracestate) to outgoing message or request headers. */
export function injectTraceContext(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * Runs `fn` inside the trace context carried by incoming headers (AMQP message headers or HTTP headers),
 * so spans and logs made in `fn` continue the producer's trace. Header values may be strings, Buffers or
 * arrays (amqplib hands back whatever was published); anything else is ignored.
 */
export function withExtractedContext<T>(headers: Record<string, unknown> | undefined, fn: () => T): T {
  const carrier: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers ?? {})) {
    const v = Array.isArray(value) ? (value as unknown[])[0] : value;
    if (typeof v === 'string') carrier[key.toLowerCase()] = v;
    else if (Buffer.isBuffer(v)) carrier[key.toLowerCase()] = v.toString('utf8');
  }
  return context.with(propagation.extract(context.active(), carrier), fn);
}

/** The current trace id, for log lines. */
export function currentTraceId(): string | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
