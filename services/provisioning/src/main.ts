import {
  createLogger,
  createRabbitBus,
  createTokenVerifier,
  installSignalHandlers,
  openPostgres,
  runService,
} from '@geminis/service-kit';
import { loadProvisioningConfig, provisioningConfigFrom } from './config';
import { provisioningService } from './service';

/** Standalone composition root: config → PostgreSQL + RabbitMQ → runService; SIGTERM drains. */
async function main() {
  const { config, generated } = loadProvisioningConfig();
  const logger = createLogger({ service: 'provisioning', level: config.LOG_LEVEL });
  for (const name of generated) logger.warn({ name }, 'generated a development secret (embedded mode)');
  if (!config.DATABASE_URL || !config.AMQP_URL) {
    logger.error({}, 'DATABASE_URL and AMQP_URL are required (npm start runs provisioning embedded)');
    process.exit(1);
  }
  const db = openPostgres({ url: config.DATABASE_URL, applicationName: 'provisioning' });
  const bus = createRabbitBus({ url: config.AMQP_URL, logger });
  const verifier = createTokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    jwksUri: config.JWKS_URL,
  });
  const running = await runService(provisioningService(provisioningConfigFrom(config)), {
    db,
    bus,
    logger,
    verifier,
    port: config.PORT,
    host: config.HOST,
  });
  installSignalHandlers(logger, [() => running.stop(), () => bus.close(), () => db.close()]);
}

void main();
