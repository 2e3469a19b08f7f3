import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  ClientCreated,
  DomainExpiryChanged,
  DomainRegistered,
  DomainRegisterRequested,
  DomainRenewed,
  DomainRenewRequested,
  DomainTransferred,
  DomainTransferRequested,
  InvoiceAutoChargeFailed,
  InvoiceLateFeeApplied,
  InvoiceReminderDue,
  PasswordResetRequested,
  InvoiceIssued,
  OrderPlaced,
  InvoicePaid,
  ResellerCreated,
  ResellerUpdated,
  ServiceProvisioned,
  ServiceSuspended,
  ServiceSuspendRequested,
  ServiceUnsuspended,
  ServicePackageChanged,
  SettingsChanged,
  TicketOpened,
  TicketReplied,
  UserSignupExisting,
  type EventEnvelope,
} from '@geminis/contracts';
import {
  type BuiltService,
  type EventHandler,
  dailyUtc,
  type Job,
  type ServiceContext,
  type ServiceDefinition,
} from '@geminis/service-kit';
import { type SupportConfig } from './config';
import { createBouncesService } from './domain/bounces.service';
import { createBrandsService } from './domain/brands.service';
import { createCannedRepliesService } from './domain/canned-replies.service';
import { createDepartmentsService } from './domain/departments.service';
import { createDomainExpiryService } from './domain/domain-expiry.service';
import { createInboundService } from './domain/inbound.service';
import { createNoticesService } from './domain/notices.service';
import { createNotificationsService } from './domain/notifications.service';
import { createReplyAddresses } from './domain/reply-token';
import { createSlaService } from './domain/sla.service';
import { createSmtpSettingsService } from './domain/smtp-settings.service';
import { createTicketExtrasService } from './domain/ticket-extras.service';
import { createTicketsService } from './domain/tickets.service';
import { createWebhooksService, WEBHOOK_EVENT_TYPES } from './domain/webhooks.service';
import { brandChangedHandler } from './events/brand-changed.handler';
import { resellerContactHandler } from './events/reseller-contact.handler';
import { autoChargeFailedHandler } from './events/auto-charge-failed.handler';
import { clientCreatedHandler } from './events/client-created.handler';
import { domainExpiryHandler } from './events/domain-expiry.handler';
import { domainRequestedHandler } from './events/domain-requested.handler';
import { domainResultHandler } from './events/domain-result.handler';
import { invoiceReminderDueHandler } from './events/invoice-reminder-due.handler';
import { passwordResetRequestedHandler } from './events/password-reset-requested.handler';
import { lateFeeAppliedHandler } from './events/late-fee-applied.handler';
import { invoiceIssuedHandler } from './events/invoice-issued.handler';
import { invoicePaidHandler } from './events/invoice-paid.handler';
import { orderPlacedHandler } from './events/order-placed.handler';
import { serviceProvisionedHandler } from './events/service-provisioned.handler';
import { serviceSuspendedHandler } from './events/service-suspended.handler';
import { servicePackageChangedHandler } from './events/service-package-changed.handler';
import { serviceUnsuspendedHandler } from './events/service-unsuspended.handler';
import { signupExistingHandler } from './events/signup-existing.handler';
import { suspendRequestedHandler } from './events/suspend-requested.handler';
import { cannedRepliesRoutes } from './http/canned-replies.routes';
import { departmentsRoutes } from './http/departments.routes';
import { INBOUND_MAIL_PATH, inboundRoutes } from './http/inbound.routes';
import { notificationsRoutes } from './http/notifications.routes';
import { smtpSettingsRoutes } from './http/smtp-settings.routes';
import { suppressionsRoutes } from './http/suppressions.routes';
import { ATTACHMENT_UPLOAD_PATH, ticketExtrasRoutes } from './http/ticket-extras.routes';
import { ticketsRoutes } from './http/tickets.routes';
import { webhooksRoutes } from './http/webhooks.routes';
import { startInboundSmtp } from './mail/inbound-smtp';
import { createMailSender } from './mail/sender';
import { fileTransport, smtpTransport } from './mail/transport';
import { createIdentityClient, type IdentityClient } from './upstream/identity.client';
import { createProvisioningClient, type ProvisioningClient } from './upstream/provisioning.client';
import { createWebhookDeliverer } from './webhooks/deliverer';

export { supportConfigFrom, supportConfigShape, type SupportConfig } from './config';

export const SUPPORT_MIGRATIONS = { name: 'support', dir: join(__dirname, 'store', 'migrations') };

const everyMinute = (now: Date) => now.toISOString().slice(0, 16);

function wire(
  config: SupportConfig,
  ctx: ServiceContext,
  identity: IdentityClient,
  provisioning: ProvisioningClient,
) {
  const { db, outbox } = ctx;
  const clock = config.now ? { now: config.now } : {};
  const departments = createDepartmentsService({ db });
  const brands = createBrandsService({ db, source: (tenantId) => identity.brand(tenantId), ...clock });
  /** Where a tenant's clients sign in: its first custom domain, else the platform's storefront. */
  const storefrontOf = async (tenantId: string) => {
    const host = (await brands.brandFor(tenantId)).storefrontHost;
    return host ? `https://${host}` : (config.storefrontUrl ?? 'http://localhost:8080');
  };
  const notifications = createNotificationsService({
    db,
    brands,
    secretVars: async (mail): Promise<Record<string, string>> => {
      if (mail.template === 'service_provisioned') {
        // the panel login, from provisioning at send time: in this mail only, never in our database or logs
        const login = await provisioning.credentials(mail.tenantId, mail.vars.serviceId ?? '');
        if (!login)
          throw Object.assign(new Error('provisioning has no live account for this service'), {
            responseCode: 550,
          });
        return {
          username: login.username,
          password: login.password,
          host: login.host ?? mail.vars.host ?? '',
        };
      }
      if (mail.template === 'signup_existing') {
        const base = await storefrontOf(mail.tenantId);
        return { loginUrl: `${base}/login`, resetUrl: `${base}/forgot-password` };
      }
      if (mail.template !== 'password_reset') return {};
      const token = await identity.resetToken(mail.tenantId, mail.vars.resetId ?? '');
      if (!token)
        throw Object.assign(new Error('the password reset is no longer live'), { responseCode: 550 });
      const base = await storefrontOf(mail.tenantId);
      return { resetLink: `${base}/reset-password?token=${encodeURIComponent(token)}` };
    },
    ...clock,
  });
  // without a configured key (tests that do not need mail in), a random one: addresses still verify
  const replies = createReplyAddresses(
    config.reply ?? { secret: randomBytes(32).toString('base64url'), domain: 'reply.geminis.localhost' },
  );
  const tickets = createTicketsService({ db, outbox, departments, notifications, replies, ...clock });
  const encryptionKey = config.encryptionKey ?? randomBytes(32).toString('base64url');
  const smtpSettings = createSmtpSettingsService({
    db,
    encryptionKey,
    allowPrivate: config.mail?.allowPrivateSmtp ?? false,
    ...clock,
  });
  const webhooks = createWebhooksService({
    db,
    encryptionKey,
    policy: { allowPrivate: config.webhooks?.allowPrivate ?? false },
    ...(config.webhooks?.retryForMs !== undefined ? { retryForMs: config.webhooks.retryForMs } : {}),
    ...clock,
  });
  const ticketExtras = createTicketExtrasService({
    db,
    ...(config.attachments?.maxBytes !== undefined
      ? { maxAttachmentBytes: config.attachments.maxBytes }
      : {}),
    ...(config.attachments?.maxTicketBytes !== undefined
      ? { maxTicketBytes: config.attachments.maxTicketBytes }
      : {}),
    ...clock,
  });
  const bounces = createBouncesService({
    db,
    ...(config.mail?.softBounceRetryMs !== undefined ? { softRetryMs: config.mail.softBounceRetryMs } : {}),
    ...clock,
  });
  return {
    webhooks,
    ticketExtras,
    departments,
    bounces,
    smtpSettings,
    brands,
    notifications,
    replies,
    tickets,
    inbound: createInboundService({
      db,
      tickets,
      ticketExtras,
      departments,
      bounces,
      replies,
      ownAddresses: [config.mail?.from ?? 'no-reply@geminis.localhost'],
      ...clock,
    }),
    notices: createNoticesService({ outbox, ...clock }),
    domainExpiries: createDomainExpiryService({ db, notifications, ...clock }),
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
export const supportJobs = (services: Pick<SupportServices, 'sla' | 'domainExpiries'>): Job[] => [
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
  {
    name: 'support.domains.expiry-reminders',
    everyMs: 60 * 60_000,
    // once a UTC day across replicas (the kit's scheduler: an advisory lock and a lease per period)
    period: dailyUtc,
    run: async () => {
      await services.domainExpiries.remindExpiring();
    },
  },
];

export interface SupportBuilt extends BuiltService {
  services: SupportServices;
  mailer: ReturnType<typeof createMailSender>;
  webhookDeliverer: ReturnType<typeof createWebhookDeliverer>;
  /** The inbound SMTP listener's port, when one runs. */
  inboundSmtpPort?: number;
}

/**
 * Every event a tenant may subscribe to also fans out to its webhook endpoints, in the same inbox
 * transaction as the event's own effect (support's own ticket events come back to it from the bus).
 */
function withWebhooks(
  webhooks: { fanOut(tx: Parameters<EventHandler>[0], e: EventEnvelope<unknown>): Promise<void> },
  handlers: Record<string, EventHandler>,
): Record<string, EventHandler> {
  const all: Record<string, EventHandler> = { ...handlers };
  for (const type of [...WEBHOOK_EVENT_TYPES, TicketOpened.type, TicketReplied.type]) {
    const own = handlers[type];
    all[type] = async (tx, event) => {
      if (own) await own(tx, event);
      await webhooks.fanOut(tx, event);
    };
  }
  return all;
}

/** Runs `fn` every `ms` (never two at once) until stopped; stop waits for the run in flight. */
function every(ms: number, fn: () => Promise<unknown>, onError: (err: unknown) => void) {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = fn()
      .catch(onError)
      .finally(() => (running = undefined));
  }, ms);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * The support service: departments, tickets and their messages, SLA sweeps, canned replies, and the
 * customer notifications (events → mails in each tenant's brand, sent through SMTP from a durable queue).
 */
export function supportService(config: SupportConfig = {}): ServiceDefinition<SupportBuilt> {
  return {
    name: 'support',
    migrations: [SUPPORT_MIGRATIONS],
    async build(ctx) {
      const identity = createIdentityClient({
        baseUrl: config.identityUrl ?? 'http://127.0.0.1:4001',
        ...(config.serviceKey ? { serviceKey: config.serviceKey } : {}),
        logger: ctx.logger as never,
      });
      const provisioning = createProvisioningClient({
        baseUrl: config.provisioningUrl ?? 'http://127.0.0.1:4004',
        ...(config.provisioningBreaker ? { breaker: config.provisioningBreaker } : {}),
        ...(config.serviceKey ? { serviceKey: config.serviceKey } : {}),
        logger: ctx.logger as never,
      });
      const services = wire(config, ctx, identity, provisioning);
      const mail = config.mail ?? {};
      const transport =
        mail.transport ??
        (mail.smtpUrl ? smtpTransport(mail.smtpUrl) : fileTransport(mail.dir ?? '.data/mail'));
      if (!mail.transport && !mail.smtpUrl)
        ctx.logger.info({ dir: (transport as { dir?: string }).dir }, 'mail is captured as .eml files here');
      const mailer = createMailSender({
        db: ctx.db,
        transport,
        notifications: services.notifications,
        brands: services.brands,
        tenantTransport: (tenantId) => services.smtpSettings.transportFor(tenantId),
        from: mail.from ?? 'no-reply@geminis.localhost',
        ...(mail.maxAttempts !== undefined ? { maxAttempts: mail.maxAttempts } : {}),
        ...(mail.retryBaseMs !== undefined ? { retryBaseMs: mail.retryBaseMs } : {}),
        ...(mail.breaker ? { breaker: mail.breaker } : {}),
        ...(config.now ? { now: config.now } : {}),
        logger: ctx.logger,
      });
      const webhookDeliverer = createWebhookDeliverer({
        db: ctx.db,
        outbox: ctx.outbox,
        webhooks: services.webhooks,
        policy: { allowPrivate: config.webhooks?.allowPrivate ?? false },
        ...(config.webhooks?.failureLimit !== undefined
          ? { failureLimit: config.webhooks.failureLimit }
          : {}),
        ...(config.webhooks?.retryBaseMs !== undefined ? { retryBaseMs: config.webhooks.retryBaseMs } : {}),
        ...(config.webhooks?.timeoutMs !== undefined ? { timeoutMs: config.webhooks.timeoutMs } : {}),
        ...(config.webhooks?.breaker ? { breaker: config.webhooks.breaker } : {}),
        ...(config.now ? { now: config.now } : {}),
        logger: ctx.logger,
      });
      const background =
        config.jobs === false
          ? []
          : [
              every(
                mail.pollMs ?? 2_000,
                () => mailer.drain(),
                (err) => ctx.logger.error({ err }, 'mail sender failed; it runs again'),
              ),
              every(
                config.webhooks?.pollMs ?? 2_000,
                () => webhookDeliverer.drain(),
                (err) => ctx.logger.error({ err }, 'webhook deliverer failed; it runs again'),
              ),
            ];
      const smtpIn = config.inboundSmtp
        ? await startInboundSmtp({ ...config.inboundSmtp, inbound: services.inbound, logger: ctx.logger })
        : undefined;
      const notify = { notifications: services.notifications };
      const brandChanged = brandChangedHandler();
      const resellerContact = resellerContactHandler(notify);
      const domainRequested = domainRequestedHandler();
      const expiry = domainExpiryHandler();
      /** Both effects of a domain result, in the one inbox transaction. */
      const alsoExpiry =
        (own: EventHandler): EventHandler =>
        async (tx, event) => {
          await own(tx, event);
          await expiry(tx, event);
        };
      return {
        services,
        mailer,
        webhookDeliverer,
        ...(smtpIn ? { inboundSmtpPort: smtpIn.port } : {}),
        rawBodyPaths: [INBOUND_MAIL_PATH, ATTACHMENT_UPLOAD_PATH],
        routes: [
          inboundRoutes(services),
          departmentsRoutes(services),
          ticketsRoutes(services),
          ticketExtrasRoutes(services),
          cannedRepliesRoutes(services),
          notificationsRoutes(services),
          suppressionsRoutes(services),
          smtpSettingsRoutes(services),
          webhooksRoutes(services),
        ],
        handlers: withWebhooks(services.webhooks, {
          [ServiceSuspendRequested.type]: suspendRequestedHandler(services),
          [ClientCreated.type]: clientCreatedHandler(notify),
          [InvoiceIssued.type]: invoiceIssuedHandler(notify),
          [InvoicePaid.type]: invoicePaidHandler(notify),
          [OrderPlaced.type]: orderPlacedHandler(notify),
          [ServiceProvisioned.type]: serviceProvisionedHandler(notify),
          [ServiceSuspended.type]: serviceSuspendedHandler(notify),
          [ServiceUnsuspended.type]: serviceUnsuspendedHandler(notify),
          [ServicePackageChanged.type]: servicePackageChangedHandler(notify),
          [PasswordResetRequested.type]: passwordResetRequestedHandler(notify),
          [UserSignupExisting.type]: signupExistingHandler(notify),
          [InvoiceReminderDue.type]: invoiceReminderDueHandler(notify),
          [InvoiceLateFeeApplied.type]: lateFeeAppliedHandler(notify),
          [InvoiceAutoChargeFailed.type]: autoChargeFailedHandler(notify),
          [DomainRegisterRequested.type]: domainRequested,
          [DomainTransferRequested.type]: domainRequested,
          [DomainRenewRequested.type]: domainRequested,
          [DomainRegistered.type]: alsoExpiry(domainResultHandler(notify, 'domain_registered')),
          [DomainTransferred.type]: alsoExpiry(domainResultHandler(notify, 'domain_registered')),
          [DomainRenewed.type]: alsoExpiry(domainResultHandler(notify, 'domain_renewed')),
          [DomainExpiryChanged.type]: expiry,
          [SettingsChanged.type]: brandChanged,
          [ResellerCreated.type]: resellerContact,
          [ResellerUpdated.type]: async (tx, event) => {
            await brandChanged(tx, event);
            await resellerContact(tx, event);
          },
        }),
        jobs: config.jobs === false ? [] : supportJobs(services),
        async stop() {
          await smtpIn?.close();
          await Promise.all(background.map((stop) => stop()));
          identity.shutdown();
          provisioning.shutdown();
          mailer.shutdown();
          webhookDeliverer.shutdown();
          services.smtpSettings.shutdown();
        },
      };
    },
  };
}
