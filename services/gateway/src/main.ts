import {
  createLogger,
  createRabbitBus,
  installSignalHandlers,
  listen,
  startTelemetry,
} from '@geminis/service-kit';
import { loadGatewayConfig } from './config';
import { buildGateway } from './gateway';

async function main() {
  const config = loadGatewayConfig();
  const telemetry = startTelemetry({
    serviceName: 'gateway',
    exporter: config.OTEL_TRACES_EXPORTER,
    ...(config.OTEL_EXPORTER_OTLP_ENDPOINT ? { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT } : {}),
  });
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

void main();
