import { join } from 'node:path';
import {
  ServiceProvisionRequested,
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  ServiceUnsuspendRequested,
} from '@geminis/contracts';
import { type BuiltService, type ServiceContext, type ServiceDefinition } from '@geminis/service-kit';
import { type ProvisioningConfig } from './config';
import { createAccountsService } from './domain/accounts.service';
import { createCipher } from './domain/crypto';
import { createJobsService } from './domain/jobs.service';
import { createLoginService } from './domain/login.service';
import { createPlacementsService } from './domain/placements.service';
import { createServerGroupsService } from './domain/server-groups.service';
import { createServersService } from './domain/servers.service';
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
import { createPanelHttp } from './modules/panel-http';
import { createPanels } from './modules/panels';

export { provisioningConfigFrom, provisioningConfigShape, type ProvisioningConfig } from './config';

export { seedProvisioningDemo, type ProvisioningDemo, type ProvisioningDemoOptions } from './seed';
export { startWhmStandIn, type WhmStandIn } from './dev/whm-stand-in';

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
  return {
    cipher,
    panels,
    maxAttempts,
    servers: createServersService({ db, cipher, panels }),
    serverGroups: createServerGroupsService({ db }),
    placements: createPlacementsService({ db }),
    jobs: createJobsService({ db, maxAttempts }),
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
      if (config.jobs?.autoStart !== false) await services.runner.start();
      return {
        services,
        routes: [
          serversRoutes(services),
          placementsRoutes(services),
          jobsRoutes(services),
          accountsRoutes(services),
        ],
        // The state sync runs once per period across replicas (the kit's scheduler, an advisory lock).
        jobs: config.sync?.enabled === false ? [] : [services.stateSync.job],
        handlers: {
          [ServiceProvisionRequested.type]: provisionRequestedHandler(services.maxAttempts),
          [ServiceSuspendRequested.type]: suspendRequestedHandler(services.maxAttempts),
          [ServiceUnsuspendRequested.type]: unsuspendRequestedHandler(services.maxAttempts),
          [ServiceTerminateRequested.type]: terminateRequestedHandler(services.maxAttempts),
        },
        async stop() {
          await services.runner.stop();
          services.panels.http.shutdown();
        },
      };
    },
  };
}
