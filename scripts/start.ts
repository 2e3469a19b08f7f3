/**
 * `npm start`: every service that exists, in one process, on embedded defaults — PGlite under
 * GEMINIS_DATA_DIR (one schema and role per service), the in-process bus, development secrets generated
 * once and kept under the data directory — then the demo data, seeded idempotently through the services'
 * own use cases, and the gateway on :8080. DATABASE_URL and AMQP_URL switch to real servers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  createLogger,
  createRabbitBus,
  installSignalHandlers,
  openEmbeddedInfrastructure,
  openPostgres,
  processEnv,
  type Bus,
  type Database,
} from '@geminis/service-kit';
import { DEMO_PASSWORDS } from '../services/identity/src/service';
import { startPlatform } from './platform';
import { loadStartConfig } from './start-config';

/** Development secrets are generated once and kept, so encrypted data survives a restart. */
function devSecrets(dir: string, names: string[]): Record<string, string> {
  const file = join(dir, 'dev-secrets.json');
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  let changed = false;
  for (const name of names) {
    if (!known[name]) {
      known[name] = randomBytes(32).toString('base64url');
      changed = true;
    }
  }
  if (changed) writeFileSync(file, JSON.stringify(known, null, 2), { mode: 0o600 });
  return known;
}

async function main() {
  const { config } = loadStartConfig();
  const env = processEnv();
  const logger = createLogger({ service: 'geminis', level: config.LOG_LEVEL });
  const stops: Array<() => Promise<void>> = [];
  const dataDir = resolve(config.GEMINIS_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let bus: Bus;
  let database: (service: string) => Promise<Database>;
  if (config.DATABASE_URL || config.AMQP_URL) {
    if (!config.DATABASE_URL || !config.AMQP_URL) {
      throw new Error('set both DATABASE_URL and AMQP_URL to run on real servers, or neither for embedded');
    }
    const base = config.DATABASE_URL;
    bus = createRabbitBus({ url: config.AMQP_URL, logger });
    database = async (service) => {
      const perService = env[`${service.toUpperCase()}_DATABASE_URL`];
      const url = new URL(perService ?? base);
      if (!perService) url.pathname = `/geminis_${service}`;
      return openPostgres({ url: url.toString(), applicationName: service });
    };
    stops.push(() => bus.close());
  } else {
    const pgliteDir = join(dataDir, 'pglite');
    mkdirSync(pgliteDir, { recursive: true });
    logger.info({ dataDir: pgliteDir }, 'embedded mode: PGlite and an in-process bus');
    const infra = await openEmbeddedInfrastructure({ dataDir: pgliteDir });
    bus = infra.bus;
    database = (service) => infra.database(service);
    stops.push(() => infra.close());
  }

  // Secrets the environment does not give are generated once into dev-secrets.json and reused, so data
  // encrypted at rest survives a restart.
  const platform = await startPlatform({
    database,
    bus,
    logger,
    env,
    secrets: (names) => {
      logger.warn({ file: join(dataDir, 'dev-secrets.json'), names }, 'using generated development secrets');
      return devSecrets(dataDir, names);
    },
    gateway: { port: config.PORT, host: config.HOST },
  });
  stops.unshift(() => platform.close());
  const { gateway } = platform;
  const demo = platform.demo.identity;

  const url = `http://localhost:${gateway.port}`;
  const login = (email: string, password: string, tenant?: string) =>
    `curl -s ${url}/v1/auth/login -H 'content-type: application/json' -d '{"email":"${email}","password":"${password}"${
      tenant ? `,"tenantSlug":"${tenant}"` : ''
    }}'`;
  process.stdout.write(
    [
      '',
      `Geminis is running: ${url}`,
      `  API docs: ${url}/docs    health: ${url}/healthz    readiness: ${url}/readyz`,
      '',
      'Demo logins (POST /v1/auth/login):',
      `  platform admin      ${demo.admin.email} / ${DEMO_PASSWORDS.admin}`,
      `  reseller "Acme"     ${demo.reseller.email} / ${DEMO_PASSWORDS.reseller}   (tenantSlug "acme", domain ${demo.reseller.domain})`,
      `  client of Acme      ${demo.resellerClient.email} / ${DEMO_PASSWORDS.resellerClient}   (tenantSlug "acme")`,
      `  platform client     ${demo.platformClient.email} / ${DEMO_PASSWORDS.platformClient}`,
      '',
      `Storefronts: curl ${url}/v1/storefront/products   (platform)   ·   curl -H 'Host: ${demo.reseller.domain}' ${url}/v1/storefront/products   (Acme)`,
      '',
      env.SUPPORT_SMTP_URL
        ? `Mail: sent through SUPPORT_SMTP_URL`
        : `Mail: captured as .eml files in ${resolve(env.SUPPORT_MAIL_DIR ?? '.data/mail')} (no SMTP server); SUPPORT_INBOUND_SMTP_PORT=2525 npm start takes replies in`,
      '',
      'Try:',
      `  ${login(demo.admin.email, DEMO_PASSWORDS.admin)}`,
      `  ${login(demo.resellerClient.email, DEMO_PASSWORDS.resellerClient, 'acme')}`,
      '',
    ].join('\n') + '\n',
  );
  installSignalHandlers(logger, stops);
}

main().catch((err: unknown) => {
  process.stderr.write(`geminis failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
