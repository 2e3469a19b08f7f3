import { join } from 'node:path';
import {
  DomainRegisterRequested,
  DomainRenewRequested,
  DomainTransferRequested,
  ServiceChangePackageRequested,
  ServiceProvisionRequested,
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  ServiceUnsuspendRequested,
} from '@geminis/contracts';
import { type BuiltService, type ServiceContext, type ServiceDefinition } from '@geminis/service-kit';
import { type ProvisioningConfig } from './config';
import { createAccountsService } from './domain/accounts.service';
import { createAvailabilityService } from './domain/availability.service';
import { createCallbacksService } from './domain/callbacks.service';
import { createDomainsService } from './domain/domains.service';
import { createRegistrarAccountsService } from './domain/registrar-accounts.service';
import { domainRequestedHandlers } from './events/domain-requested.handler';
import { domainsRoutes, REGISTRAR_CALLBACK_PATHS } from './http/domains.routes';
import { createDomainRunner } from './jobs/domain-runner';
import { createDomainSync } from './jobs/domain-sync';
import { createRegistrars } from './registrars/registrars';
import { createCipher } from './domain/crypto';
import { createJobsService } from './domain/jobs.service';
import { createLoginService } from './domain/login.service';
import { createPlacementsService } from './domain/placements.service';
import { createServerGroupsService } from './domain/server-groups.service';
import { createServersService } from './domain/servers.service';
import { changePackageRequestedHandler } from './events/change-package-requested.handler';
import { provisionRequestedHandler } from './events/provision-requested.handler';
import { suspendRequestedHandler } from './events/suspend-requested.handler';
import { terminateRequestedHandler } from './events/terminate-requested.handler';
import { unsuspendRequestedHandler } from './events/unsuspend-requested.handler';
import { accountsRoutes } from './http/accounts.routes';
import { jobsRoutes } from './http/jobs.routes';
import { placementsRoutes } from './http/placements.routes';
import { serversRoutes } from './http/servers.routes';
import { createJobRunner } from './jobs/job-runner';
import { createStateSync } from './jobs/state-sync';
import { createUsageSync } from './jobs/usage-sync';
import { createPanelHttp } from './modules/panel-http';
import { createPanels } from './modules/panels';

export { provisioningConfigFrom, provisioningConfigShape, type ProvisioningConfig } from './config';

export { seedProvisioningDemo, type ProvisioningDemo, type ProvisioningDemoOptions } from './seed';
export { startWhmStandIn, type WhmStandIn } from './dev/whm-stand-in';
export { seedDomainsDemo, type DomainsDemo, type DomainsDemoOptions } from './seed-domains';
export { startRegistrarStandIn, type RegistrarStandIn } from './dev/registrar-stand-in';

export const PROVISIONING_MIGRATIONS = { name: 'provisioning', dir: join(__dirname, 'store', 'migrations') };

const DEFAULT_MAX_ATTEMPTS = 8;

function wire(config: ProvisioningConfig, ctx: ServiceContext) {
  const { db, outbox, logger } = ctx;
  const cipher = createCipher(config.encryptionKey);
  const panels = createPanels(
    createPanelHttp({
      logger,
      ...(config.panelBreaker ? { breaker: config.panelBreaker } : {}),
      ...(config.panelConcurrency ? { perServerConcurrency: config.panelConcurrency } : {}),
    }),
    config.panelTimeouts,
  );
  const maxAttempts = config.jobs?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const { autoStart: _, maxAttempts: __, ...runnerOptions } = config.jobs ?? {};
  const accounts = createAccountsService({ db, cipher });
  const d = config.domains ?? {};
  // Registrars share the panels' HTTP machinery (real timeouts, a breaker and a bound per account).
  const registrars = createRegistrars(
    createPanelHttp({
      logger,
      ...(config.panelBreaker ? { breaker: config.panelBreaker } : {}),
      ...(config.panelConcurrency ? { perServerConcurrency: config.panelConcurrency } : {}),
    }),
    d.registrarTimeoutMs,
  );
  const domainDeps = { db, outbox, cipher, registrars, transferPollMs: d.transferPollMs ?? 10 * 60_000 };
  return {
    registrars,
    registrarAccounts: createRegistrarAccountsService({ db, cipher, registrars }),
    domains: createDomainsService({ db, cipher, registrars, maxAttempts }),
    availability: createAvailabilityService({
      db,
      cipher,
      registrars,
      logger,
      ...(d.catalogUrl ? { catalogUrl: d.catalogUrl } : {}),
      ...(d.availabilityTtlMs !== undefined ? { ttlMs: d.availabilityTtlMs } : {}),
    }),
    callbacks: createCallbacksService({ db, cipher, logger, maxAttempts }),
    domainRunner: createDomainRunner({
      ...domainDeps,
      logger,
      options: { ...runnerOptions, ...(d.maxTransferPolls ? { maxPolls: d.maxTransferPolls } : {}) },
    }),
    domainSync: createDomainSync({
      ...domainDeps,
      logger,
      options: { everyMs: d.sync?.everyMs ?? 60 * 60_000, perAccount: d.sync?.perAccount ?? 50 },
    }),
    cipher,
    panels,
    maxAttempts,
    servers: createServersService({ db, cipher, panels }),
    serverGroups: createServerGroupsService({ db }),
    placements: createPlacementsService({ db }),
    jobs: createJobsService({ db, maxAttempts, cipher }),
    accounts,
    login: createLoginService({ db, outbox, cipher, panels, accounts }),
    runner: createJobRunner({ db, outbox, cipher, panels, logger, options: runnerOptions }),
    stateSync: createStateSync({
      db,
      outbox,
      cipher,
      panels,
      logger,
      options: { everyMs: config.sync?.everyMs ?? 5 * 60_000, perServer: config.sync?.perServer ?? 25 },
    }),
    usageSync: createUsageSync({
      db,
      outbox,
      cipher,
      panels,
      logger,
      options: { everyMs: config.usage?.everyMs ?? 60 * 60_000, perServer: config.usage?.perServer ?? 50 },
    }),
  };
}

export type ProvisioningServices = ReturnType<typeof wire>;

export interface ProvisioningBuilt extends BuiltService {
  services: ProvisioningServices;
}

/** The provisioning service: servers, panel modules, provisioned accounts and the jobs acting on them. */
export function provisioningService(config: ProvisioningConfig): ServiceDefinition<ProvisioningBuilt> {
  return {
    name: 'provisioning',
    migrations: [PROVISIONING_MIGRATIONS],
    async build(ctx) {
      const services = wire(config, ctx);
      if (config.jobs?.autoStart !== false) {
        await services.runner.start();
        await services.domainRunner.start();
      }
      const domainHandlers = domainRequestedHandlers(services.maxAttempts, services.cipher);
      return {
        services,
        routes: [
          serversRoutes(services),
          placementsRoutes(services),
          jobsRoutes(services),
          accountsRoutes(services),
          domainsRoutes(services),
        ],
        rawBodyPaths: REGISTRAR_CALLBACK_PATHS,
        // The state sync runs once per period across replicas (the kit's scheduler, an advisory lock).
        jobs: [
          ...(config.sync?.enabled === false ? [] : [services.stateSync.job]),
          ...(config.usage?.enabled === false ? [] : [services.usageSync.job]),
          ...(config.domains?.sync?.enabled === false ? [] : [services.domainSync.job]),
        ],
        handlers: {
          [ServiceProvisionRequested.type]: provisionRequestedHandler(services.maxAttempts),
          [ServiceSuspendRequested.type]: suspendRequestedHandler(services.maxAttempts),
          [ServiceUnsuspendRequested.type]: unsuspendRequestedHandler(services.maxAttempts),
          [ServiceTerminateRequested.type]: terminateRequestedHandler(services.maxAttempts),
          [ServiceChangePackageRequested.type]: changePackageRequestedHandler(services.maxAttempts),
          [DomainRegisterRequested.type]: domainHandlers.register,
          [DomainTransferRequested.type]: domainHandlers.transfer,
          [DomainRenewRequested.type]: domainHandlers.renew,
        },
        async stop() {
          await services.runner.stop();
          await services.domainRunner.stop();
          services.panels.http.shutdown();
          services.registrars.http.shutdown();
        },
      };
    },
  };
}
