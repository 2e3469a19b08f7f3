import { join } from 'node:path';
import { type BuiltService, type ServiceContext, type ServiceDefinition } from '@geminis/service-kit';
import { type ProvisioningConfig } from './config';
import { createCipher } from './domain/crypto';
import { createServerGroupsService } from './domain/server-groups.service';
import { createServersService } from './domain/servers.service';
import { serversRoutes } from './http/servers.routes';
import { createPanelHttp } from './modules/panel-http';
import { createPanels } from './modules/panels';

export {
  loadProvisioningConfig,
  provisioningConfigFrom,
  provisioningConfigShape,
  type ProvisioningConfig,
} from './config';

export const PROVISIONING_MIGRATIONS = { name: 'provisioning', dir: join(__dirname, 'store', 'migrations') };

function wire(config: ProvisioningConfig, ctx: ServiceContext) {
  const { db } = ctx;
  const cipher = createCipher(config.encryptionKey);
  const panels = createPanels(createPanelHttp({ logger: ctx.logger }), config.panelTimeouts);
  return {
    cipher,
    panels,
    servers: createServersService({ db, cipher, panels }),
    serverGroups: createServerGroupsService({ db }),
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
      return {
        services,
        routes: [serversRoutes(services)],
        async stop() {
          services.panels.http.shutdown();
        },
      };
    },
  };
}
