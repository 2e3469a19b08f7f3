import { z } from 'zod';
import { Domain, Id } from '../events/common';

// --- the answers of provisioning's HTTP API, as they go on the wire ---
// Dates are ISO 8601 strings. No answer ever carries a server credential; an account's password is only
// in the credentials answer, to the client it belongs to and its tenant's staff.

const Timestamp = z.iso.datetime();
const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const PanelModule = z.enum(['cpanel', 'plesk', 'directadmin']);
export type PanelModule = z.infer<typeof PanelModule>;

export const FillStrategy = z
  .enum(['least_accounts', 'fill_in_order'])
  .describe(
    'least_accounts: the enabled server with the fewest accounts; fill_in_order: the first with room',
  );
export type FillStrategy = z.infer<typeof FillStrategy>;

export const ServerGroupView = z.object({
  id: Id,
  tenantId: Id,
  name: z.string().min(1).max(200),
  fillStrategy: FillStrategy,
  createdAt: Timestamp,
});
export type ServerGroupView = z.infer<typeof ServerGroupView>;
export const ServerGroupList = itemsOf(ServerGroupView);
export type ServerGroupList = z.infer<typeof ServerGroupList>;

/** A server as its owner sees it: where it is and how full, never its credentials. */
export const ServerView = z.object({
  id: Id,
  tenantId: Id,
  groupId: Id.nullable(),
  name: z.string().min(1).max(200),
  module: PanelModule,
  hostname: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  tls: z.boolean(),
  ipAddress: z.string().nullable().describe('The shared IPv4 new accounts go on (required for Plesk)'),
  nameservers: z.array(Domain),
  maxAccounts: z.number().int().min(1),
  accounts: z.number().int().min(0).describe('Accounts placed on it (not terminated), every tenant counted'),
  enabled: z.boolean(),
  sortOrder: z.number().int().min(0),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ServerView = z.infer<typeof ServerView>;
export const ServerList = itemsOf(ServerView);
export type ServerList = z.infer<typeof ServerList>;

/** POST /v1/servers/:id/test-connection: what the panel answered (its reason, never a credential). */
export const ConnectionTestView = z.object({
  ok: z.boolean(),
  error: z.string().max(1000).optional(),
});
export type ConnectionTestView = z.infer<typeof ConnectionTestView>;

export const JobAction = z.enum(['provision', 'suspend', 'unsuspend', 'terminate']);
export type JobAction = z.infer<typeof JobAction>;
export const JobStatus = z.enum(['pending', 'running', 'done', 'failed']);
export type JobStatus = z.infer<typeof JobStatus>;

export const JobView = z.object({
  id: Id,
  tenantId: Id,
  serviceId: Id,
  clientId: Id,
  action: JobAction,
  status: JobStatus,
  attempts: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
  nextRunAt: Timestamp,
  lastError: z.string().nullable().describe("The panel's reason for the last failed attempt"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
});
export type JobView = z.infer<typeof JobView>;
export const JobList = itemsOf(JobView);
export type JobList = z.infer<typeof JobList>;

/**
 * What a provisioning job does: billing's lifecycle requests, a change of package, and a new panel password
 * (POST /v1/provisioning/accounts/:id/password).
 */
export const ProvisioningJobAction = z.enum([...JobAction.options, 'change_package', 'change_password']);
export type ProvisioningJobAction = z.infer<typeof ProvisioningJobAction>;

/** A job as staff see it (GET /v1/provisioning/jobs), its action including a change of package. */
export const ProvisioningJobView = JobView.extend({ action: ProvisioningJobAction });
export type ProvisioningJobView = z.infer<typeof ProvisioningJobView>;
export const ProvisioningJobList = itemsOf(ProvisioningJobView);
export type ProvisioningJobList = z.infer<typeof ProvisioningJobList>;

export const AccountStatus = z.enum(['pending', 'active', 'suspended', 'terminated']);
export type AccountStatus = z.infer<typeof AccountStatus>;

/** A provisioned account of a client service. `host` is where the client logs in, never more. */
export const AccountView = z.object({
  id: Id,
  tenantId: Id,
  serviceId: Id,
  clientId: Id,
  productId: Id,
  module: z.enum(['cpanel', 'plesk', 'directadmin', 'none']),
  username: z.string().nullable(),
  domain: z.string().nullable(),
  host: z.string().nullable(),
  status: AccountStatus,
  syncedAt: Timestamp.nullable().describe('When the state sync last compared it with its panel'),
  drift: z
    .enum(['missing_on_panel', 'suspended_on_panel', 'active_on_panel', 'other_package_on_panel'])
    .nullable()
    .describe(
      'How the panel differed at the last comparison (null: in line, or never compared); other_package_on_panel: ' +
        "the panel has it on another package (Plesk: service plan) than its product's",
    ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type AccountView = z.infer<typeof AccountView>;
export const AccountList = itemsOf(AccountView);
export type AccountList = z.infer<typeof AccountList>;

/**
 * Provisioning's service-key routes (never routed by the gateway):
 *   GET PROVISIONING_INTERNAL.serviceCredentials(tenantId, serviceId) → AccountCredentialsView: the panel
 *     login of a client service's account, for notifications to put in the welcome mail; only with the
 *     shared service key in `x-geminis-service-key`; 404 while the account is not created (or terminated),
 *     and for a service of another tenant. Answered `Cache-Control: no-store`; never log it.
 */
export const PROVISIONING_INTERNAL = {
  serviceCredentials: (tenantId: string, serviceId: string) =>
    `/internal/v1/tenants/${encodeURIComponent(tenantId)}/services/${encodeURIComponent(serviceId)}/credentials`,
} as const;

/** GET /v1/accounts/:id/credentials: the panel login of the client's own account. */
export const AccountCredentialsView = z.object({
  username: z.string(),
  password: z.string(),
  host: z.string().nullable(),
});
export type AccountCredentialsView = z.infer<typeof AccountCredentialsView>;

/** PUT /v1/provisioning/placements/:productId: the server group a product's new accounts go to. */
export const PlacementView = z.object({
  tenantId: Id,
  productId: Id,
  groupId: Id,
  updatedAt: Timestamp,
});
export type PlacementView = z.infer<typeof PlacementView>;
export const PlacementList = itemsOf(PlacementView);
export type PlacementList = z.infer<typeof PlacementList>;

/** POST /v1/provisioning/accounts/:id/login-url: a one-time single sign-on URL into the panel. */
export const LoginUrlView = z.object({ url: z.url() });
export type LoginUrlView = z.infer<typeof LoginUrlView>;

/** GET /v1/provisioning/accounts/:id/usage: what the usage sync last read from the panel. */
export const AccountUsageView = z.object({
  diskBytes: z.number().int().min(0).nullable().describe('Disk used, in bytes (null: never read)'),
  bandwidthBytes: z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe("This month's bandwidth, in bytes, as the panel counts it (null: never read)"),
  measuredAt: Timestamp.nullable().describe('When the panel was last read'),
});
export type AccountUsageView = z.infer<typeof AccountUsageView>;
