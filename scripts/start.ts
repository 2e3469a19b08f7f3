/**
 * `npm start`: every service that exists, in one process, on embedded defaults — PGlite under
 * GEMINIS_DATA_DIR (one schema and role per service), the in-process bus, development secrets generated
 * once and kept under the data directory — then the demo data, seeded idempotently through the services'
 * own use cases, and the gateway on :8080. DATABASE_URL and AMQP_URL switch to real servers.
 */
import { spawn } from 'node:child_process';
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
  type Logger,
} from '@geminis/service-kit';
import { DEMO_PASSWORDS } from '../services/identity/src/service';
import { settle, watchedBus } from './embedded-settle';
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

/** Set in the child process that seeds a new data directory (see seedInChild). */
const SEED_ONLY = process.env.GEMINIS_SEED_ONLY === '1';

/**
 * A first start on a new data directory seeds the demo in a child process, then starts warm in this one.
 * PGlite's WebAssembly memory grows while the demo is seeded and never shrinks (closing and reopening the
 * engine in the same process does not give it back), so a process that seeded idles ~90 MB above one
 * that started on seeded data (bench/memory: 444 against 352 MB). The child exits only once every event
 * the seed caused has been relayed and applied (`settle`), because the in-process bus keeps its queues in
 * memory. A signal while it runs is passed on to it.
 */
async function seedInChild(logger: Logger): Promise<void> {
  logger.info('new data directory: seeding the demo in a child process, then starting on it');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!], {
    stdio: 'inherit',
    env: { ...process.env, GEMINIS_SEED_ONLY: '1', PORT: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward).on('SIGINT', forward);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.once('exit', (c, s) => done([c, s])),
  );
  process.off('SIGTERM', forward).off('SIGINT', forward);
  if (signal) process.exit(1);
  if (code !== 0) throw new Error(`seeding the new data directory failed (exit code ${String(code)})`);
}

async function main() {
  const { config } = loadStartConfig();
  const env = processEnv();
  const logger = createLogger({ service: 'geminis', level: config.LOG_LEVEL });
  const stops: Array<() => Promise<void>> = [];
  const dataDir = resolve(config.GEMINIS_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });

  let bus: Bus;
  let embedded = false;
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
    if (!SEED_ONLY && !existsSync(join(pgliteDir, 'PG_VERSION'))) await seedInChild(logger);
    mkdirSync(pgliteDir, { recursive: true });
    logger.info({ dataDir: pgliteDir }, 'embedded mode: PGlite and an in-process bus');
    const infra = await openEmbeddedInfrastructure({ dataDir: pgliteDir });
    bus = infra.bus;
    database = (service) => infra.database(service);
    stops.push(() => infra.close());
    embedded = true;
  }
  const watched = embedded ? watchedBus(bus) : undefined;

  // Secrets the environment does not give are generated once into dev-secrets.json and reused, so data
  // encrypted at rest survives a restart.
  const platform = await startPlatform({
    database,
    bus: watched?.bus ?? bus,
    logger,
    env,
    secrets: (names) => {
      logger.warn({ file: join(dataDir, 'dev-secrets.json'), names }, 'using generated development secrets');
      return devSecrets(dataDir, names);
    },
    gateway: { port: config.PORT, host: config.HOST },
  });
  stops.unshift(() => platform.close());
  // The in-process bus holds its queues in memory: before the services stop, let what is in flight be
  // applied (the outboxes emptied, the bus quiet) — all of it for the seed child, at most 5 s on a stop.
  if (watched) {
    const databases = Object.values(platform.databases);
    stops.unshift(() => settle(databases, watched.quietFor, logger, SEED_ONLY ? 120_000 : 5_000));
  }
  if (SEED_ONLY) {
    for (const stop of stops) await stop();
    process.exit(0); // a timer or socket left open must not keep the seed child alive
  }
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
