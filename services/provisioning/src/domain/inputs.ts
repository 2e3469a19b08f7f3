import { Domain, FillStrategy } from '@geminis/contracts';
import { z } from 'zod';

const Name = z.string().trim().min(1).max(200);
/** A host name (lower-case labels) or an IPv4 address: never a URL, a path or a port. */
export const Hostname = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(
    /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?|(?:\d{1,3}\.){3}\d{1,3})$/,
    'a host name like whm1.example.com or an IPv4 address (no scheme, path or port)',
  );
const Secret = z.string().min(8).max(4096);
const Ipv4 = z
  .string()
  .trim()
  .max(15)
  .regex(/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/, 'an IPv4 address');
const PanelUser = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore');

/** The credentials each panel authenticates with (sealed at rest, never answered). */
export const CpanelCredentials = z.object({ username: PanelUser, apiToken: Secret }).strict();
export const PleskCredentials = z.union([
  z.object({ secretKey: Secret }).strict(),
  z.object({ login: PanelUser, password: Secret }).strict(),
]);
export const DirectAdminCredentials = z.object({ username: PanelUser, loginKey: Secret }).strict();

export const CREDENTIALS = {
  cpanel: CpanelCredentials,
  plesk: PleskCredentials,
  directadmin: DirectAdminCredentials,
} as const;

export type CpanelCredentials = z.infer<typeof CpanelCredentials>;
export type PleskCredentials = z.infer<typeof PleskCredentials>;
export type DirectAdminCredentials = z.infer<typeof DirectAdminCredentials>;
export type Credentials = CpanelCredentials | PleskCredentials | DirectAdminCredentials;

const DEFAULT_PORTS = { cpanel: 2087, plesk: 8443, directadmin: 2222 } as const;
export const defaultPort = (module: keyof typeof DEFAULT_PORTS) => DEFAULT_PORTS[module];

const serverFields = {
  name: Name,
  hostname: Hostname,
  port: z.number().int().min(1).max(65535).optional(),
  tls: z.boolean().default(true),
  ipAddress: Ipv4.nullable().default(null),
  groupId: z.uuid().nullable().default(null),
  nameservers: z.array(Domain).max(4).default([]),
  maxAccounts: z.number().int().min(1).max(1_000_000),
  enabled: z.boolean().default(true),
  sortOrder: z.number().int().min(0).max(1_000_000).default(0),
};

export const ServerInput = z.discriminatedUnion('module', [
  z.object({ ...serverFields, module: z.literal('cpanel'), credentials: CpanelCredentials }).strict(),
  // Plesk hosts a new webspace on an IP named in the request: its server must say which.
  z
    .object({ ...serverFields, module: z.literal('plesk'), ipAddress: Ipv4, credentials: PleskCredentials })
    .strict(),
  z
    .object({ ...serverFields, module: z.literal('directadmin'), credentials: DirectAdminCredentials })
    .strict(),
]);
export type ServerInput = z.infer<typeof ServerInput>;

/** Any field but the module; new credentials are checked against the server's module. */
export const ServerPatch = z
  .object({
    name: Name,
    hostname: Hostname,
    port: z.number().int().min(1).max(65535),
    tls: z.boolean(),
    ipAddress: Ipv4.nullable(),
    groupId: z.uuid().nullable(),
    nameservers: z.array(Domain).max(4),
    maxAccounts: z.number().int().min(1).max(1_000_000),
    enabled: z.boolean(),
    sortOrder: z.number().int().min(0).max(1_000_000),
    credentials: z.record(z.string().max(64), z.unknown()),
  })
  .partial()
  .strict();
export type ServerPatch = z.infer<typeof ServerPatch>;

export const GroupInput = z
  .object({ name: Name, fillStrategy: FillStrategy.default('least_accounts') })
  .strict();
export type GroupInput = z.infer<typeof GroupInput>;
export const GroupPatch = z.object({ name: Name, fillStrategy: FillStrategy }).partial().strict();
export type GroupPatch = z.infer<typeof GroupPatch>;

export const ManualAction = z
  .object({ action: z.enum(['suspend', 'unsuspend']), reason: z.string().max(500).default('') })
  .strict();
export type ManualAction = z.infer<typeof ManualAction>;

export const PlacementInput = z.object({ groupId: z.uuid() }).strict();
export type PlacementInput = z.infer<typeof PlacementInput>;

export const JobsQuery = z
  .object({
    tenantId: z.uuid().optional(),
    status: z.enum(['pending', 'running', 'done', 'failed']).optional(),
    serviceId: z.uuid().optional(),
  })
  .strict();
export const AccountsQuery = z
  .object({
    tenantId: z.uuid().optional(),
    status: z.enum(['pending', 'active', 'suspended', 'terminated']).optional(),
    drift: z.enum(['true']).optional().describe('Only accounts whose panel differed at the last comparison'),
  })
  .strict();
