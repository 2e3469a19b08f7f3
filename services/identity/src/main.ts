import {
  createLogger,
  createRabbitBus,
  installSignalHandlers,
  openPostgres,
  runService,
} from '@geminis/service-kit';
import { identityConfigFrom, loadIdentityConfig } from './config';
import { identityService } from './service';

/** Standalone composition root: config → PostgreSQL + RabbitMQ → runService; SIGTERM drains. */
async function main() {
  const { config, generated } = loadIdentityConfig();
  const logger = createLogger({ service: 'identity', level: config.LOG_LEVEL });
  if (generated.length > 0) logger.warn({ generated }, 'embedded mode: generated development secrets');
  if (!config.DATABASE_URL || !config.AMQP_URL) {
    logger.error({}, 'DATABASE_URL and AMQP_URL are required (npm start runs identity embedded)');
    process.exit(1);
  }
  const db = openPostgres({ url: config.DATABASE_URL, applicationName: 'identity' });
  const bus = createRabbitBus({ url: config.AMQP_URL, logger });
  const running = await runService(identityService(identityConfigFrom(config)), {
    db,
    bus,
    logger,
    serviceKey: config.INTERNAL_SERVICE_KEY!,
    port: config.PORT,
    host: config.HOST,
  });
  installSignalHandlers(logger, [() => running.stop(), () => bus.close(), () => db.close()]);
}

void main();
