import { ProxyTracerProvider, trace } from '@opentelemetry/api';

/**
 * Whether a tracer provider is registered (startTelemetry with an exporter). Without one every span is a
 * no-op, yet starting an active span per message still copies a context and runs a callback in it: the
 * relay and the inbox then skip their per-message spans. Read per batch, so a provider registered later
 * is picked up.
 */
export function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  if (!(provider instanceof ProxyTracerProvider)) return true;
  return provider.getDelegateTracer('@geminis/service-kit') !== undefined;
}
