import { join } from 'node:path';
import { ServiceSuspendRequested } from '@geminis/contracts';
import {
  type BuiltService,
  type Job,
  type ServiceContext,
  type ServiceDefinition,
} from '@geminis/service-kit';
import { type SupportConfig } from './config';
import { createCannedRepliesService } from './domain/canned-replies.service';
import { createDepartmentsService } from './domain/departments.service';
import { createNoticesService } from './domain/notices.service';
import { createSlaService } from './domain/sla.service';
import { createTicketsService } from './domain/tickets.service';
import { suspendRequestedHandler } from './events/suspend-requested.handler';
import { cannedRepliesRoutes } from './http/canned-replies.routes';
import { departmentsRoutes } from './http/departments.routes';
import { ticketsRoutes } from './http/tickets.routes';

export { supportConfigFrom, supportConfigShape, type SupportConfig } from './config';

export const SUPPORT_MIGRATIONS = { name: 'support', dir: join(__dirname, 'store', 'migrations') };

const everyMinute = (now: Date) => now.toISOString().slice(0, 16);

function wire(config: SupportConfig, ctx: ServiceContext) {
  const { db, outbox } = ctx;
  const clock = config.now ? { now: config.now } : {};
  const departments = createDepartmentsService({ db });
  return {
    departments,
    tickets: createTicketsService({ db, outbox, departments, ...clock }),
    notices: createNoticesService({ outbox, ...clock }),
    cannedReplies: createCannedRepliesService({ db }),
    sla: createSlaService({
      db,
      ...(config.autoCloseDays !== undefined ? { autoCloseDays: config.autoCloseDays } : {}),
      ...clock,
    }),
  };
}

export type SupportServices = ReturnType<typeof wire>;

/** The periodic work, run once per period across replicas by the kit's scheduler. */
export const supportJobs = (services: Pick<SupportServices, 'sla'>): Job[] => [
  {
    name: 'support.sla.breaches',
    everyMs: 60_000,
    period: everyMinute,
    run: async () => {
      await services.sla.markBreaches();
    },
  },
  {
    name: 'support.tickets.auto-close',
    everyMs: 5 * 60_000,
    // once an hour across replicas
    period: (now) => now.toISOString().slice(0, 13),
    run: async () => {
      await services.sla.autoClose();
    },
  },
];

export interface SupportBuilt extends BuiltService {
  services: SupportServices;
}

/** The support service: departments, tickets and their messages, SLA sweeps and canned replies. */
export function supportService(config: SupportConfig = {}): ServiceDefinition<SupportBuilt> {
  return {
    name: 'support',
    migrations: [SUPPORT_MIGRATIONS],
    async build(ctx) {
      const services = wire(config, ctx);
      return {
        services,
        routes: [departmentsRoutes(services), ticketsRoutes(services), cannedRepliesRoutes(services)],
        handlers: {
          [ServiceSuspendRequested.type]: suspendRequestedHandler(services),
        },
        jobs: config.jobs === false ? [] : supportJobs(services),
      };
    },
  };
}
