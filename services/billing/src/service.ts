import { join } from 'node:path';
import {
  ClientCreated,
  DomainExpiryChanged,
  DomainRegistered,
  DomainRegistrationFailed,
  DomainRenewed,
  DomainTransferred,
  ResellerCreated,
  ResellerUpdated,
  ServicePackageChanged,
  ServiceProvisioned,
  ServiceProvisionFailed,
  ServiceSuspended,
  ServiceTerminated,
  ServiceUnsuspended,
} from '@geminis/contracts';
import {
  type BuiltService,
  type Logger,
  type ServiceContext,
  type ServiceDefinition,
} from '@geminis/service-kit';
import { type BillingConfig } from './config';
import { createAutoCharge } from './domain/auto-charge.service';
import { createChangePackage } from './domain/change-package.service';
import { createClientServicesService } from './domain/client-services.service';
import { createCreditNotesService } from './domain/credit-notes.service';
import { createIdempotency } from './domain/idempotency.service';
import { createInvoicesService } from './domain/invoices.service';
import { createLateFees } from './domain/late-fees.service';
import { createBillingRuns, createLifecycleJobs, lifecycleSchedule } from './domain/lifecycle-jobs.service';
import { createOrdersService } from './domain/orders.service';
import { createReports } from './domain/reports.service';
import { createPromotionHolds } from './domain/promotion-holds.service';
import { createPaymentsService } from './domain/payments.service';
import { createServiceActions } from './domain/service-actions.service';
import { createSettingsService } from './domain/settings.service';
import { createSealer } from './domain/secrets';
import { createSettlement } from './domain/settlement.service';
import { createStripeRefunds } from './domain/stripe-refunds.service';
import { createViesClient } from './upstream/vies.client';
import { createStripeService } from './domain/stripe.service';
import { createTaxesService } from './domain/taxes.service';
import { createWholesale } from './domain/wholesale.service';
import { clientCreatedHandler } from './events/client-created.handler';
import { resellerProfileHandler } from './events/reseller-profile.handler';
import {
  domainExpiryChangedHandler,
  domainRegistrationFailedHandler,
  domainResultHandler,
} from './events/domain-result.handler';
import { servicePackageChangedHandler } from './events/service-package-changed.handler';
import { serviceProvisionFailedHandler } from './events/service-provision-failed.handler';
import { serviceProvisionedHandler } from './events/service-provisioned.handler';
import { serviceSuspendedHandler } from './events/service-suspended.handler';
import { serviceTerminatedHandler } from './events/service-terminated.handler';
import { serviceUnsuspendedHandler } from './events/service-unsuspended.handler';
import { clientServicesRoutes } from './http/client-services.routes';
import { creditNotesRoutes } from './http/credit-notes.routes';
import { creditRoutes } from './http/credit.routes';
import { invoicesRoutes } from './http/invoices.routes';
import { ordersRoutes } from './http/orders.routes';
import { paymentMethodsRoutes } from './http/payment-methods.routes';
import { reportsRoutes } from './http/reports.routes';
import { settingsRoutes } from './http/settings.routes';
import { STRIPE_WEBHOOK_PATHS, stripeRoutes } from './http/stripe.routes';
import { taxesRoutes } from './http/taxes.routes';
import { wholesaleRoutes } from './http/wholesale.routes';
import { createCatalogClient } from './upstream/catalog.client';
import { createStripeClient } from './upstream/stripe.client';

export { billingConfigFrom, billingConfigShape, type BillingConfig } from './config';
export { seedBillingDemo, type BillingDemo, type BillingDemoInput } from './seed';

export const BILLING_MIGRATIONS = { name: 'billing', dir: join(__dirname, 'store', 'migrations') };

function wire(config: BillingConfig, ctx: ServiceContext) {
  const { db, outbox, logger } = ctx;
  const catalog = createCatalogClient({
    baseUrl: config.catalogUrl,
    serviceKey: config.serviceKey,
    ...(config.catalogTimeoutMs ? { timeoutMs: config.catalogTimeoutMs } : {}),
    // runService hands every service a pino child logger; the kit's client wants that type.
    logger: logger as unknown as Logger,
  });
  const idempotent = createIdempotency({ db });
  const clock = config.now ? { now: config.now } : {};
  const sealer = createSealer(config.encryptionKey);
  const changePackage = createChangePackage({
    db,
    outbox,
    catalog,
    idempotent,
    settlement: () => settlement,
    ...clock,
  });
  const settlement = createSettlement({ outbox, sealer, changes: changePackage, ...clock });
  const holds = createPromotionHolds({
    db,
    catalog,
    logger,
    ...(config.holdStaleMs !== undefined ? { staleMs: config.holdStaleMs } : {}),
  });
  const stripe = createStripeClient({
    ...(config.stripeTimeoutMs ? { timeoutMs: config.stripeTimeoutMs } : {}),
    logger,
  });
  const vies = config.viesUrl
    ? createViesClient({
        url: config.viesUrl,
        ...(config.viesTimeoutMs ? { timeoutMs: config.viesTimeoutMs } : {}),
        logger: logger as unknown as Logger,
      })
    : null;
  const refunds = createStripeRefunds({ db, outbox, stripe, sealer, logger });
  const batch = config.lifecycleBatchSize ? { batchSize: config.lifecycleBatchSize } : {};
  const lifecycle = createLifecycleJobs({ db, settlement, ...clock, ...batch });
  const wholesale = createWholesale({ db, settlement, idempotent, ...clock, ...batch });
  const stripeService = createStripeService({ db, stripe, sealer, idempotent, settlement, logger });
  return {
    catalog,
    holds,
    orders: createOrdersService({ db, outbox, catalog, idempotent, settlement, holds, sealer, ...clock }),
    invoices: createInvoicesService({ db }),
    clientServices: createClientServicesService({ db }),
    serviceActions: createServiceActions({ db, outbox, settlement, ...clock }),
    lateFees: createLateFees({ db, settlement }),
    lifecycle,
    wholesale,
    runs: createBillingRuns({ lifecycle, wholesale, demoClock: config.demoClock, ...clock }),

    payments: createPaymentsService({ db, idempotent, settlement }),
    settings: createSettingsService({ db }),
    taxes: createTaxesService({ db, vies }),
    vies,
    stripeClient: stripe,
    creditNotes: createCreditNotesService({ db, outbox, idempotent, refunds, ...clock }),
    refunds,
    stripe: stripeService,
    changePackage,
    reports: createReports({ db, ...clock }),
    autoCharge: createAutoCharge({ db, outbox, stripe, stripeService, sealer, logger, ...clock }),
  };
}

export type BillingServices = ReturnType<typeof wire>;

export interface BillingBuilt extends BuiltService {
  services: BillingServices;
}

/** The billing service: orders, client services, invoices, payments and account credit. */
export function billingService(config: BillingConfig): ServiceDefinition<BillingBuilt> {
  return {
    name: 'billing',
    migrations: [BILLING_MIGRATIONS],
    async build(ctx) {
      const services = wire(config, ctx);
      const { logger } = ctx;
      if (config.clockOffsetRefused !== undefined)
        logger.warn(
          { BILLING_CLOCK_OFFSET_DAYS: config.clockOffsetRefused },
          'BILLING_CLOCK_OFFSET_DAYS is ignored in production: billing runs on the real clock',
        );
      if (config.demoClock && config.demoClock.offsetDays() !== 0)
        logger.warn(
          { offsetDays: config.demoClock.offsetDays() },
          'billing runs on a demo clock, moved ahead',
        );
      return {
        services,
        routes: [
          ordersRoutes(services),
          invoicesRoutes(services),
          clientServicesRoutes(services),
          creditRoutes(services),
          creditNotesRoutes(services),
          settingsRoutes(services),
          taxesRoutes(services),
          stripeRoutes(services),
          paymentMethodsRoutes(services),
          reportsRoutes(services),
          wholesaleRoutes(services),
        ],
        rawBodyPaths: STRIPE_WEBHOOK_PATHS,
        jobs: [
          {
            name: 'billing.promotion-holds.sweep',
            everyMs: 60_000,
            // one run per minute across replicas; each run releases what is due
            period: (now) => now.toISOString().slice(0, 16),
            run: async () => {
              await services.holds.sweep();
            },
          },
          {
            name: 'billing.refunds.retry',
            everyMs: 60_000,
            period: (now) => now.toISOString().slice(0, 16),
            run: async () => {
              await services.refunds.retryPending();
            },
          },
          ...(config.lifecycleJobs === false
            ? []
            : lifecycleSchedule(services.lifecycle, logger, services.wholesale)),
          ...(config.lifecycleJobs === false
            ? []
            : [
                {
                  name: 'billing.auto-charge',
                  everyMs: 5 * 60_000,
                  // hourly across replicas: today's attempts claimed once, open ones asked again
                  period: (now: Date) => now.toISOString().slice(0, 13),
                  leaseMs: 60 * 60_000,
                  run: async () => {
                    logger.info(await services.autoCharge.run(), 'automatic charges done');
                  },
                },
              ]),
          {
            name: 'billing.orders.expire',
            everyMs: 5 * 60_000,
            // once an hour across replicas: orders left unpaid past their tenant's limit are cancelled
            period: (now) => now.toISOString().slice(0, 13),
            run: async () => {
              await services.orders.expire();
            },
          },
        ],
        handlers: {
          [ClientCreated.type]: clientCreatedHandler,
          [ResellerCreated.type]: resellerProfileHandler,
          [ResellerUpdated.type]: resellerProfileHandler,
          [ServiceProvisioned.type]: serviceProvisionedHandler(logger),
          [ServiceProvisionFailed.type]: serviceProvisionFailedHandler(logger),
          [ServiceSuspended.type]: serviceSuspendedHandler(logger),
          [ServiceUnsuspended.type]: serviceUnsuspendedHandler(logger),
          [ServiceTerminated.type]: serviceTerminatedHandler(logger),
          [ServicePackageChanged.type]: servicePackageChangedHandler(logger),
          [DomainRegistered.type]: domainResultHandler(true, logger),
          [DomainTransferred.type]: domainResultHandler(true, logger),
          [DomainRenewed.type]: domainResultHandler(false, logger),
          [DomainExpiryChanged.type]: domainExpiryChangedHandler(logger),
          [DomainRegistrationFailed.type]: domainRegistrationFailedHandler(logger),
        },
        async stop() {
          services.catalog.shutdown();
          services.stripeClient.shutdown();
          services.vies?.shutdown();
        },
      };
    },
  };
}
