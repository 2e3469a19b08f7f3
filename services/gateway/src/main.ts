import { createLogger, installSignalHandlers, listen } from '@geminis/service-kit';
import { createGatewayApp } from './app';
import { loadGatewayConfig } from './config';

async function main() {
  const { config } = loadGatewayConfig();
  const logger = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const server = await listen(createGatewayApp({ logger, upstreams: {} }), config.PORT, config.HOST);
  logger.info({ url: server.url }, 'gateway listening');
  installSignalHandlers(logger, [() => server.close()]);
}

void main();
