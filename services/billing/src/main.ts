import {
  createLogger,
  createRabbitBus,
  createTokenVerifier,
  installSignalHandlers,
  openPostgres,
  runService,
} from '@geminis/service-kit';
import { billingConfigFrom, loadBillingConfig } from './config';
import { billingService } from './service';

/** Standalone composition root: config → PostgreSQL + RabbitMQ → runService; SIGTERM drains. */
async function main() {
  const { config, generated } = loadBillingConfig();
  const logger = createLogger({ service: 'billing', level: config.LOG_LEVEL });
  if (generated.length > 0) logger.warn({ generated }, 'embedded mode: generated development secrets');
  if (!config.DATABASE_URL || !config.AMQP_URL) {
    logger.error({}, 'DATABASE_URL and AMQP_URL are required (npm start runs billing embedded)');
    process.exit(1);
  }
  const db = openPostgres({ url: config.DATABASE_URL, applicationName: 'billing' });
  const bus = createRabbitBus({ url: config.AMQP_URL, logger });
  const verifier = createTokenVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    jwksUri: config.JWKS_URL,
  });
  const running = await runService(billingService(billingConfigFrom(config)), {
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
