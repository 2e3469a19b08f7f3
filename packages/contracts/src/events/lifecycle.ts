import { z } from 'zod';
import { defineEvent } from '../registry';
import { BillingCycle } from './billing';
import { ProductType, ProvisioningModule } from './catalog';
import { Currency, Domain, Email, Id, MinorUnits } from './common';

// --- billing ↔ provisioning: the client-service lifecycle ---
// Billing owns the client service (what was bought, its cycle, its due date, its status); provisioning
// owns the account on a panel or at a registrar. Billing asks with `billing.service.*_requested.v1`
// (keyed by serviceId: provisioning applies each request once, whatever the redeliveries), provisioning
// answers with `provisioning.service.*.v1` (billing moves the service's status from them).

/** Who the account is for: a snapshot taken when billing requests the action. */
export const ServiceClient = z.object({
  clientId: Id,
  email: Email,
  name: z.string().min(1).max(200),
});

/** The module and its per-product configuration, from the order's quote snapshot (catalog's shapes). */
export const ServiceProvisioning = z.object({
  /** The product as its client sees it: for a product a reseller resells, the reseller's alias of it. */
  productId: Id,
  /**
   * A resold product: the platform's id of it, to find the platform's placement of the product (the
   * reseller's own placements may name either id). Absent: the tenant's own product (or older events).
   */
  platformProductId: Id.optional(),
  productName: z.string().min(1).max(200),
  productType: ProductType,
  module: ProvisioningModule,
  /** The product's module configuration as catalog stored it (e.g. `{ package, reseller }` for cPanel). */
  moduleConfig: z.record(z.string().max(64), z.unknown()),
  /** The primary domain of a hosting account, when the order named one. */
  domain: Domain.optional(),
});

export const ServiceProvisionRequested = defineEvent(
  'billing.service.provision_requested.v1',
  'A client service was paid for the first time: create its account. Idempotent per serviceId.',
  z.object({
    serviceId: Id,
    orderId: Id,
    invoiceId: Id,
    client: ServiceClient,
    cycle: BillingCycle,
    ...ServiceProvisioning.shape,
  }),
);

const lifecycleRequest = (type: string, description: string, extra: z.ZodRawShape = {}) =>
  defineEvent(
    type,
    description,
    z.object({
      serviceId: Id,
      clientId: Id,
      module: ProvisioningModule,
      reason: z.string().max(500),
      ...extra,
    }),
  );

export const ServiceSuspendRequested = lifecycleRequest(
  'billing.service.suspend_requested.v1',
  'Suspend the account of a client service (overdue, abuse, or by staff). Idempotent per serviceId.',
);
export const ServiceUnsuspendRequested = lifecycleRequest(
  'billing.service.unsuspend_requested.v1',
  'Lift the suspension of a client service (its overdue invoice was paid). Idempotent per serviceId.',
);
export const ServiceTerminateRequested = lifecycleRequest(
  'billing.service.terminate_requested.v1',
  'Remove the account of a client service for good (cancelled or long overdue).',
);

export const ServiceChangePackageRequested = defineEvent(
  'billing.service.change_package_requested.v1',
  'A change of package (upgrade/downgrade) was paid (or needed no payment): move the account to the new product’s module config. Idempotent per changeId.',
  z.object({
    changeId: Id,
    serviceId: Id,
    clientId: Id,
    /** The invoice that paid for the change; absent when it cost nothing (a downgrade credits instead). */
    invoiceId: Id.optional(),
    fromProductId: Id,
    toProductId: Id,
    productName: z.string().min(1).max(200),
    productType: ProductType,
    module: ProvisioningModule,
    moduleConfig: z.record(z.string().max(64), z.unknown()),
    cycle: BillingCycle,
  }),
);

export const InvoiceLine = z.object({
  description: z.string().min(1).max(500),
  amount: MinorUnits,
  serviceId: Id.optional(),
});

export const InvoiceIssued = defineEvent(
  'billing.invoice.issued.v1',
  'An invoice was issued (a new order or a renewal). Amounts in integer minor units of `currency`.',
  z.object({
    invoiceId: Id,
    number: z.string().min(1).max(64),
    clientId: Id,
    currency: Currency,
    subtotal: MinorUnits,
    tax: MinorUnits,
    total: MinorUnits,
    dueDate: z.iso.date(),
    reason: z.enum(['order', 'renewal', 'manual']),
    orderId: Id.optional(),
    /**
     * What the invoice is for, finer than `reason` (added in place, optional): `change_package` (an
     * upgrade's invoice, published with reason `manual`) and `wholesale` (the platform's invoice to a
     * reseller, reason `manual`); `order` and `renewal` repeat `reason`. Absent from older publishers.
     */
    purpose: z.enum(['order', 'renewal', 'manual', 'change_package', 'wholesale']).optional(),
  }),
);

export const InvoicePaid = defineEvent(
  'billing.invoice.paid.v1',
  'An invoice was paid in full (a gateway payment, a manual payment or credit).',
  z.object({
    invoiceId: Id,
    number: z.string().min(1).max(64),
    clientId: Id,
    currency: Currency,
    total: MinorUnits,
    paidAt: z.iso.datetime({ offset: true }),
  }),
);

const accountResult = (type: string, description: string, extra: z.ZodRawShape = {}) =>
  defineEvent(
    type,
    description,
    z.object({ serviceId: Id, clientId: Id, module: ProvisioningModule, ...extra }),
  );

export const ServiceProvisioned = accountResult(
  'provisioning.service.provisioned.v1',
  'The account of a client service exists on its panel (created now, or found already created).',
  {
    /** The panel username (never a password). */
    username: z.string().min(1).max(64).optional(),
    /** Where it lives, as the client may see it (a hostname, never a server credential). */
    host: z.string().min(1).max(253).optional(),
  },
);
export const ServiceProvisionFailed = accountResult(
  'provisioning.service.provision_failed.v1',
  'Provisioning gave up on a client service (after retries, or a refusal the panel will repeat).',
  { error: z.string().min(1).max(1000), retryable: z.boolean() },
);
export const ServiceSuspended = accountResult(
  'provisioning.service.suspended.v1',
  'The account of a client service is suspended on its panel.',
);
export const ServiceUnsuspended = accountResult(
  'provisioning.service.unsuspended.v1',
  'The account of a client service is active again on its panel.',
);
export const ServiceTerminated = accountResult(
  'provisioning.service.terminated.v1',
  'The account of a client service was removed from its panel.',
);

export const ServicePackageChanged = accountResult(
  'provisioning.service.package_changed.v1',
  'The account of a client service is on the package of its new product (a change of package applied on its panel). Once per changeId.',
  {
    changeId: Id,
    /** The product the account now belongs to. */
    productId: Id,
    /** The panel package or plan it is on now (absent for a product without a panel). */
    package: z.string().min(1).max(200).optional(),
  },
);

export const lifecycleEvents = [
  ServiceProvisionRequested,
  ServiceSuspendRequested,
  ServiceUnsuspendRequested,
  ServiceTerminateRequested,
  ServiceChangePackageRequested,
  InvoiceIssued,
  InvoicePaid,
  ServiceProvisioned,
  ServiceProvisionFailed,
  ServiceSuspended,
  ServiceUnsuspended,
  ServiceTerminated,
  ServicePackageChanged,
] as const;
