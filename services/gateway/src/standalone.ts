import { createLogger, createRabbitBus, installSignalHandlers, listen } from '@geminis/service-kit';
import { loadGatewayConfig } from './config';
import { buildGateway } from './gateway';

/** The gateway as its own process: config, bus (for cache invalidation and revocations), listen, drain. */
export async function runGateway(
  telemetry: { shutdown(): Promise<void> },
  env: Record<string, string | undefined>,
): Promise<void> {
  const config = loadGatewayConfig(env);
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
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
