/**
 * `@geminis/service-kit/launch`: the whole of a service's main.ts.
 *
 *   import { launch } from '@geminis/service-kit/launch';
 *   launch('catalog', () => import('./entry').then((m) => m.catalogEntry));
 *
 * Tracing starts FIRST: this module loads only the config reader and the OpenTelemetry SDK, so express,
 * pg and amqplib — loaded afterwards with the rest of the kit and the service — are instrumented (a module
 * required before the SDK starts stays uninstrumented). Then the service's entry is loaded, its variables
 * and the shared ones validated together (every bad one listed, exit 1), and it runs until SIGTERM/SIGINT
 * drains it. A failure to start is logged and exits non-zero.
 */
import { z } from 'zod';
import { baseConfig, loadConfigOrExit, processEnv } from './config';
import type { AnyServiceEntry } from './runtime/entry';
import { startTelemetry } from './telemetry/telemetry';

export function launch(name: string, load: () => Promise<AnyServiceEntry>): void {
  launchWith(name, async (telemetry, env) => {
    const { runStandalone } = await import('./runtime/standalone');
    await runStandalone(await load(), env, telemetry);
  });
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

/**
 * For a process that is not a kit service (the gateway): telemetry first, then `start` — which must load
 * everything it instruments lazily (`await import(...)`) — with fatal logging if it fails.
 */
export function launchWith(
  name: string,
  start: (telemetry: Telemetry, env: Record<string, string | undefined>) => Promise<void>,
): void {
  const env = processEnv();
  const { config } = loadConfigOrExit(name, z.object(baseConfig).passthrough(), env);
  const telemetry = startTelemetry({
    serviceName: name,
    exporter: config.OTEL_TRACES_EXPORTER,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
  const fatal = (err: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'fatal', service: name, msg: 'failed to start', err: err instanceof Error ? err.stack : String(err) })}\n`,
    );
    void telemetry.shutdown().finally(() => process.exit(1));
  };
  process.on('unhandledRejection', (err) => fatal(err));
  start(telemetry, env).catch(fatal);
}
