/**
 * Every service of the service list in one process, on the infrastructure given (embedded PGlite and the
 * in-process bus for `npm start`; real PostgreSQL and RabbitMQ for the journey test), then the demo data
 * through the services' own use cases, then the gateway in front. One place, so `npm start` and the
 * tests run the platform the same way.
 */
import { SERVICES, serviceUrlVariable, type ServiceName } from '@geminis/contracts';
import {
  cachedVerifier,
  createTokenVerifier,
  listen,
  loadConfig,
  runService,
  secretNames,
  sharedServiceConfig,
  type Bus,
  type AuthContext,
  type Database,
  type Env,
  type ListeningServer,
  type Logger,
  type RunningService,
  type SharedServiceConfig,
} from '@geminis/service-kit';
import { z } from 'zod';
import { seedBillingDemo, type BillingBuilt, type BillingDemo } from '../services/billing/src/service';
import { seedResellerPleskDemo } from '../services/catalog/src/seed';
import { seedCatalogDemo, type CatalogDemo } from '../services/catalog/src/service';
import { gatewayConfigShape } from '../services/gateway/src/config';
import { buildGateway } from '../services/gateway/src/gateway';
import { seedIdentityDemo, type IdentityBuilt, type IdentityDemo } from '../services/identity/src/service';
import {
  seedDomainsDemo,
  seedProvisioningDemo,
  startRegistrarStandIn,
  startWhmStandIn,
  type DomainsDemo,
  type RegistrarStandIn,
  type WhmStandIn,
} from '../services/provisioning/src/service';
import { startPleskStandIn, type PleskStandIn } from '../services/provisioning/src/dev/plesk-stand-in';
import { type SupportBuilt } from '../services/support/src/service';
import { SERVICE_ENTRIES } from './services';

export const ISSUER = 'https://identity.geminis.local';
export const AUDIENCE = 'geminis';

export interface PlatformOptions {
  /** Each service's own database (its schema and role, or its own database). */
  database(service: ServiceName): Promise<Database>;
  bus: Bus;
  logger: Logger;
  env: Env;
  /** Values for secrets the environment does not set (npm start keeps them in dev-secrets.json). */
  secrets(names: string[]): Record<string, string>;
  gateway: { port: number; host: string };
  /** Outbox polling of every service (tests). */
  relayPollMs?: number;
}

export interface Platform {
  gateway: ListeningServer;
  running: Partial<Record<ServiceName, RunningService>>;
  databases: Partial<Record<ServiceName, Database>>;
  demo: { identity: IdentityDemo; catalog: CatalogDemo; domains: DomainsDemo; billing: BillingDemo };
  whm: WhmStandIn;
  /** The Plesk XML API stand-in of the reseller's own Plesk server (Acme's Plesk product lives there). */
  plesk: PleskStandIn;
  pleskProductId: string;
  registrar: RegistrarStandIn;
  /** Stops the gateway, the services in reverse order and the demo panel. */
  close(): Promise<void>;
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const { bus, logger } = options;
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.splice(0))
      await stop().catch((err: unknown) => logger.error({ err }, 'stop failed'));
  };
  try {
    const withSecrets = (shape: z.ZodRawShape): Env => {
      const missing = secretNames(shape).filter((name) => !options.env[name]);
      return missing.length === 0 ? options.env : { ...options.secrets(missing), ...options.env };
    };
    const sharedEnv = withSecrets(sharedServiceConfig);
    const running: Partial<Record<ServiceName, RunningService>> = {};
    const databases: Partial<Record<ServiceName, Database>> = {};
    const ownConfigs: Partial<Record<ServiceName, Record<string, unknown>>> = {};
    const urls = () =>
      Object.fromEntries(
        Object.entries(running).map(([n, r]) => [serviceUrlVariable(n as ServiceName), r.url]),
      );

    // Every service of the list, in order (identity first: the others verify its tokens).
    for (const { name } of SERVICES) {
      const load = SERVICE_ENTRIES[name];
      if (!load) continue;
      const entry = await load();
      const identityUrl = running.identity?.url;
      const shared = loadConfig(
        { ...sharedServiceConfig, PORT: z.coerce.number().default(0) },
        {
          ...sharedEnv,
          DATABASE_URL: 'postgres://in-process.invalid/unused',
          AMQP_URL: 'amqp://in-process.invalid',
          ...(identityUrl ? { JWKS_URL: `${identityUrl}/.well-known/jwks.json` } : {}),
          JWT_ISSUER: ISSUER,
          JWT_AUDIENCE: AUDIENCE,
        },
      ).config as SharedServiceConfig;
      // The URLs of the services already running (billing calls catalog at CATALOG_URL).
      const own = loadConfig(entry.config as z.ZodRawShape, {
        ...withSecrets(entry.config),
        ...urls(),
      }).config;
      ownConfigs[name] = own;
      const db = await options.database(name);
      databases[name] = db;
      const service = await runService(entry.definition(own, shared), {
        db,
        bus,
        logger,
        verifier: cachedVerifier(
          createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri: shared.JWKS_URL }),
        ),
        ...(shared.INTERNAL_SERVICE_KEY ? { serviceKey: shared.INTERNAL_SERVICE_KEY } : {}),
        // Every service after identity refuses revoked tokens itself, from identity's feed.
        ...(identityUrl && shared.INTERNAL_SERVICE_KEY
          ? { revocations: { identityUrl, serviceKey: shared.INTERNAL_SERVICE_KEY } }
          : {}),
        ...(options.relayPollMs ? { relayPollMs: options.relayPollMs } : {}),
        port: 0,
        host: '127.0.0.1',
      });
      running[name] = service;
      stops.unshift(() => service.stop());
    }

    // The demo data, through the services' own use cases.
    const identity = running.identity as RunningService<IdentityBuilt>;
    const identityDemo = await seedIdentityDemo(databases.identity!, identity.built.services);
    const catalogDemo = await seedCatalogDemo(databases.catalog!, {
      resellerTenantId: identityDemo.reseller.tenantId,
    });
    // The demo's hosting panel: a WHM API 1 stand-in on loopback, so an order is provisioned offline. Its
    // port changes with every start; the seed points the demo servers at the current one.
    const whm = await startWhmStandIn();
    stops.push(() => whm.close());
    // And the reseller's own Plesk server: a Plesk XML API stand-in, with Acme's own Plesk product on it.
    const plesk = await startPleskStandIn();
    stops.push(() => plesk.close());
    const pleskProductId = await seedResellerPleskDemo(databases.catalog!, {
      resellerTenantId: identityDemo.reseller.tenantId,
    });
    await seedProvisioningDemo(databases.provisioning!, {
      encryptionKey: String(ownConfigs.provisioning!.PROVISIONING_ENCRYPTION_KEY),
      panel: { hostname: '127.0.0.1', port: whm.port, tls: false },
      plesk: { hostname: '127.0.0.1', port: plesk.port, tls: false },
      resellerTenantId: identityDemo.reseller.tenantId,
      platformProductIds: [catalogDemo.platform.starter, catalogDemo.platform.pro],
      resellerProductIds: [catalogDemo.reseller.custom],
      resellerPleskProductIds: [pleskProductId],
    });

    // Invoices for the platform's demo client, through billing's use cases (each under an Idempotency-Key,
    // so a restart adds nothing): one paid with account credit, one unpaid, one paid and credited back.
    // Catalog prices an order as the client, so the client signs in for a real access token.
    const { platformClient, admin } = identityDemo;
    const signIn = await fetch(`${identity.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: platformClient.email, password: platformClient.password }),
    });
    if (!signIn.ok) throw new Error(`demo client could not sign in: ${signIn.status}`);
    const { accessToken } = (await signIn.json()) as { accessToken: string };
    const billingDemo = await seedBillingDemo(
      (running.billing as RunningService<BillingBuilt>).built.services,
      {
        tenantId: platformClient.tenantId,
        client: { id: platformClient.id, token: accessToken },
        staff: { id: admin.id, role: 'admin' },
        productId: catalogDemo.platform.starter,
      },
    );

    // Support desks: the platform's for its direct clients, Acme's own for Acme's clients (white-label).
    const support = running.support as RunningService<SupportBuilt>;
    const staff = (role: 'admin' | 'reseller', userId: string, tenantId: string): AuthContext => ({
      userId,
      role,
      tenantId,
      tokenId: 'demo-seed',
      issuedAt: 0,
    });
    for (const [auth, name, email] of [
      [
        staff('admin', identityDemo.admin.id, identityDemo.admin.tenantId),
        'Support',
        'support@geminis.local',
      ],
      [
        staff('reseller', identityDemo.reseller.userId, identityDemo.reseller.tenantId),
        'Acme Support',
        'support@acme.localhost',
      ],
    ] as const) {
      const existing = await support.built.services.departments.list(auth);
      if (!existing.some((d) => d.name === name))
        await support.built.services.departments.create(auth, {
          name,
          email,
          visibility: 'public',
          shared: false,
          defaultAssigneeId: null,
          firstResponseMinutes: 240,
        });
    }

    const gatewayConfig = loadConfig(gatewayConfigShape, {
      ...options.env,
      PORT: String(options.gateway.port),
      HOST: options.gateway.host,
      ...urls(),
      INTERNAL_SERVICE_KEY: sharedEnv.INTERNAL_SERVICE_KEY,
      JWT_ISSUER: ISSUER,
      JWT_AUDIENCE: AUDIENCE,
      PLATFORM_HOSTS: options.env.PLATFORM_HOSTS ?? 'localhost,127.0.0.1',
    }).config;
    const gw = await buildGateway({ config: gatewayConfig, logger, bus });
    const gateway = await listen(gw.app, options.gateway.port, options.gateway.host);
    stops.unshift(
      () => gateway.close(),
      () => gw.close(),
    );

    // The demo's registrar: a Name.com API v4 stand-in on loopback. Name.com signs a callback with the URL
    // it is sent to, so the accounts are seeded once the gateway's port is known.
    const registrar = await startRegistrarStandIn();
    stops.push(() => registrar.close());
    const domainsDemo = await seedDomainsDemo(databases.provisioning!, {
      encryptionKey: String(ownConfigs.provisioning!.PROVISIONING_ENCRYPTION_KEY),
      registrarUrl: registrar.url,
      gatewayUrl: `http://localhost:${gateway.port}`,
      resellerTenantId: identityDemo.reseller.tenantId,
    });
    return {
      gateway,
      running,
      databases,
      demo: { identity: identityDemo, catalog: catalogDemo, domains: domainsDemo, billing: billingDemo },
      whm,
      plesk,
      pleskProductId,
      registrar,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
