import {
  createLogger,
  createRabbitBus,
  createTokenVerifier,
  installSignalHandlers,
  openPostgres,
  runService,
} from '@geminis/service-kit';
import { catalogConfigFrom, loadCatalogConfig } from './config';
import { catalogService } from './service';

/** Standalone composition root: config → PostgreSQL + RabbitMQ → runService; SIGTERM drains. */
async function main() {
  const { config } = loadCatalogConfig();
  const logger = createLogger({ service: 'catalog', level: config.LOG_LEVEL });
  if (!config.DATABASE_URL || !config.AMQP_URL) {
    logger.error({}, 'DATABASE_URL and AMQP_URL are required (npm start runs catalog embedded)');
    process.exit(1);
  }
  const db = openPostgres({ url: config.DATABASE_URL, applicationName: 'catalog' });
  const bus = createRabbitBus({ url: config.AMQP_URL, logger });
  const verifier = createTokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    jwksUri: config.JWKS_URL,
  });
  const running = await runService(catalogService(catalogConfigFrom(config)), {
    db,
    bus,
    logger,
    verifier,
    ...(config.INTERNAL_SERVICE_KEY ? { serviceKey: config.INTERNAL_SERVICE_KEY } : {}),
    port: config.PORT,
    host: config.HOST,
  });
  installSignalHandlers(logger, [() => running.stop(), () => bus.close(), () => db.close()]);
}

void main();
