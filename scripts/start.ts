/**
 * `npm start`: every service that exists, in one process, on embedded defaults — PGlite under
 * GEMINIS_DATA_DIR (one schema and role per service), the in-process bus, development secrets generated
 * once and kept under the data directory — then the demo data, seeded idempotently through the services'
 * own use cases, and the gateway on :8080. DATABASE_URL and AMQP_URL switch to real servers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SERVICES, serviceUrlVariable, type ServiceName } from '@geminis/contracts';
import {
  createLogger,
  createRabbitBus,
  createTokenVerifier,
  installSignalHandlers,
  listen,
  loadConfig,
  openEmbeddedInfrastructure,
  openPostgres,
  processEnv,
  runService,
  secretNames,
  sharedServiceConfig,
  type Bus,
  type Database,
  type Env,
  type RunningService,
  type SharedServiceConfig,
} from '@geminis/service-kit';
import { z } from 'zod';
import { gatewayConfigShape } from '../services/gateway/src/config';
import { buildGateway } from '../services/gateway/src/gateway';
import { seedCatalogDemo } from '../services/catalog/src/service';
import { seedProvisioningDemo, startWhmStandIn } from '../services/provisioning/src/service';
import { seedIdentityDemo, DEMO_PASSWORDS, type IdentityBuilt } from '../services/identity/src/service';
import { SERVICE_ENTRIES } from './services';
import { loadStartConfig } from './start-config';

const ISSUER = 'https://identity.geminis.local';
const AUDIENCE = 'geminis';

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

  // Every service of the list, in order, on its own schema of the shared infrastructure. Secrets the
  // environment does not give are generated once into dev-secrets.json and reused, so data encrypted at
  // rest survives a restart.
  const secretsFile = join(dataDir, 'dev-secrets.json');
  const withDevSecrets = (shape: z.ZodRawShape): Env => {
    const generated = secretNames(shape).filter((name) => !env[name]);
    if (generated.length === 0) return env;
    logger.warn({ file: secretsFile, generated }, 'using generated development secrets');
    return { ...devSecrets(dataDir, generated), ...env };
  };
  const sharedEnv = withDevSecrets(sharedServiceConfig);
  const running: Partial<Record<ServiceName, RunningService>> = {};
  const databases: Partial<Record<ServiceName, Database>> = {};
  const ownConfigs: Partial<Record<ServiceName, Record<string, unknown>>> = {};
  for (const { name } of SERVICES) {
    const load = SERVICE_ENTRIES[name];
    if (!load) continue;
    const entry = await load();
    const identityUrl = running.identity?.url;
    const shared = loadConfig(
      { ...sharedServiceConfig, PORT: z.coerce.number().default(0) },
      {
        ...sharedEnv,
        DATABASE_URL: 'postgres://embedded.invalid/unused',
        AMQP_URL: 'amqp://embedded.invalid',
        ...(identityUrl ? { JWKS_URL: `${identityUrl}/.well-known/jwks.json` } : {}),
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
      },
    ).config as SharedServiceConfig;
    // The URLs of the services already running (billing calls catalog at CATALOG_URL).
    const upstreams = Object.fromEntries(
      Object.entries(running).map(([n, r]) => [serviceUrlVariable(n as ServiceName), r.url]),
    );
    const own = loadConfig(entry.config as z.ZodRawShape, {
      ...withDevSecrets(entry.config),
      ...upstreams,
    }).config;
    ownConfigs[name] = own;
    const db = await database(name);
    databases[name] = db;
    const service = await runService(entry.definition(own, shared), {
      db,
      bus,
      logger,
      verifier: createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: shared.JWKS_URL }),
      ...(shared.INTERNAL_SERVICE_KEY ? { serviceKey: shared.INTERNAL_SERVICE_KEY } : {}),
      port: 0,
      host: '127.0.0.1',
    });
    running[name] = service;
    stops.unshift(() => service.stop());
  }
  const serviceKey = sharedEnv.INTERNAL_SERVICE_KEY!;

  // The demo data, through the services' own use cases.
  const identity = running.identity as RunningService<IdentityBuilt>;
  const demo = await seedIdentityDemo(databases.identity!, identity.built.services);
  const catalogDemo = await seedCatalogDemo(databases.catalog!, { resellerTenantId: demo.reseller.tenantId });
  // The demo's hosting panel: a WHM API 1 stand-in on loopback, so an order is provisioned offline. Its
  // port changes with every start; the seed points the demo servers at the current one.
  const whm = await startWhmStandIn();
  stops.push(() => whm.close());
  await seedProvisioningDemo(databases.provisioning!, {
    encryptionKey: String(ownConfigs.provisioning!.PROVISIONING_ENCRYPTION_KEY),
    panel: { hostname: '127.0.0.1', port: whm.port, tls: false },
    resellerTenantId: demo.reseller.tenantId,
    platformProductIds: [catalogDemo.platform.starter, catalogDemo.platform.pro],
    resellerProductIds: [catalogDemo.reseller.custom],
  });

  const gatewayConfig = loadConfig(gatewayConfigShape, {
    ...env,
    PORT: String(config.PORT),
    HOST: config.HOST,
    ...Object.fromEntries(
      Object.entries(running).map(([name, r]) => [serviceUrlVariable(name as ServiceName), r.url]),
    ),
    INTERNAL_SERVICE_KEY: serviceKey,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    PLATFORM_HOSTS: env.PLATFORM_HOSTS ?? 'localhost,127.0.0.1',
  }).config;
  const gw = await buildGateway({ config: gatewayConfig, logger, bus });
  const gateway = await listen(gw.app, config.PORT, config.HOST);
  stops.unshift(
    () => gateway.close(),
    () => gw.close(),
  );

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
