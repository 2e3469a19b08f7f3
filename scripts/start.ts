/**
 * `npm start`: every service that exists, in one process, on embedded defaults — PGlite under
 * GEMINIS_DATA_DIR (one schema and role per service), the in-process bus, generated dev keys — then the
 * demo data, seeded idempotently, and the gateway on :8080. DATABASE_URL / AMQP_URL switch to real ones.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  createLogger,
  createRabbitBus,
  installSignalHandlers,
  listen,
  loadConfig,
  processEnv,
  openEmbeddedInfrastructure,
  openPostgres,
  type Bus,
  type Database,
} from '@geminis/service-kit';
import { buildGateway } from '../services/gateway/src/gateway';
import { gatewayConfigShape } from '../services/gateway/src/config';
import { loadStartConfig } from './start-config';

async function main() {
  const { config } = loadStartConfig();
  const logger = createLogger({ service: 'geminis', level: config.LOG_LEVEL });
  const stops: Array<() => Promise<void>> = [];

  let bus: Bus;
  let database: (service: string) => Promise<Database>;
  if (config.DATABASE_URL || config.AMQP_URL) {
    if (!config.DATABASE_URL || !config.AMQP_URL) {
      throw new Error('set both DATABASE_URL and AMQP_URL to run on real servers, or neither for embedded');
    }
    const base = config.DATABASE_URL;
    bus = createRabbitBus({ url: config.AMQP_URL, logger });
    database = async (service) => {
      const url = new URL(base);
      url.pathname = `/geminis_${service}`;
      return openPostgres({ url: url.toString(), applicationName: service });
    };
    stops.push(() => bus.close());
  } else {
    const dataDir = resolve(config.GEMINIS_DATA_DIR, 'pglite');
    mkdirSync(dataDir, { recursive: true });
    logger.info({ dataDir }, 'embedded mode: PGlite and an in-process bus');
    const infra = await openEmbeddedInfrastructure({ dataDir });
    bus = infra.bus;
    database = (service) => infra.database(service);
    stops.push(() => infra.close());
  }
  void database; // services that own data are wired here as they land

  const upstreamUrls: Record<string, string> = {};
  const gatewayConfig = loadConfig(gatewayConfigShape, {
    ...processEnv(),
    PORT: String(config.PORT),
    HOST: config.HOST,
    IDENTITY_URL: upstreamUrls.identity,
    JWKS_URL: upstreamUrls.identity ? undefined : 'http://127.0.0.1:9/.well-known/jwks.json',
    CATALOG_URL: upstreamUrls.catalog,
  }).config;
  const built = await buildGateway({ config: gatewayConfig, logger, bus });
  const gateway = await listen(built.app, config.PORT, config.HOST);
  stops.unshift(
    () => gateway.close(),
    () => built.close(),
  );

  const url = `http://localhost:${gateway.port}`;
  process.stdout.write(
    ['', `Geminis is running: ${url}`, `  health: ${url}/healthz   readiness: ${url}/readyz`, ''].join('\n') +
      '\n',
  );
  installSignalHandlers(logger, stops);
}

main().catch((err: unknown) => {
  process.stderr.write(`geminis failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
