import {
  batchedStdout,
  createLogger,
  createRabbitBus,
  installSignalHandlers,
  listen,
} from '@geminis/service-kit';
import { loadGatewayConfig } from './config';
import { buildGateway } from './gateway';

/** The gateway as its own process: config, bus (for cache invalidation and revocations), listen, drain. */
export async function runGateway(
  telemetry: { shutdown(): Promise<void> },
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = loadGatewayConfig(env);
  // Lines go to stdout in batches (the kit's batchedStdout): the access line of every request was the
  // biggest cost of the gateway's hop after the sockets themselves.
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL, destination: batchedStdout() });
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
