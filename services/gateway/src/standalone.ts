import { createLogger, createRabbitBus, installSignalHandlers, listen } from '@geminis/service-kit';
import pino from 'pino';
import { loadGatewayConfig } from './config';
import { buildGateway } from './gateway';

/** The gateway as its own process: config, bus (for cache invalidation and revocations), listen, drain. */
export async function runGateway(
  telemetry: { shutdown(): Promise<void> },
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = loadGatewayConfig(env);
  // Lines are written to stdout in batches (up to 4 KB, or every few milliseconds when quieter), not one
  // write(2) per line: the access line of every request was the biggest cost of the gateway's hop after
  // the sockets themselves. Every line is still written; pino flushes what is buffered when the process
  // exits (a drain, a crash); only a SIGKILL can lose the last few milliseconds of lines.
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const flusher = setInterval(() => destination.flush(), 250);
  flusher.unref();
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL, destination });
  const bus = config.AMQP_URL ? createRabbitBus({ url: config.AMQP_URL, logger }) : undefined;
  const gateway = await buildGateway({ config, logger, ...(bus ? { bus } : {}) });
  const server = await listen(gateway.app, config.PORT, config.HOST);
  logger.info({ url: server.url }, 'gateway listening');
  installSignalHandlers(logger, [
    () => server.close(),
    () => gateway.close(),
    async () => bus?.close(),
    () => telemetry.shutdown(),
  ]);
}
