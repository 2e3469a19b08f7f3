import { type ServiceName } from '@geminis/contracts';
import { type Role } from '@geminis/service-kit';

/** Every service of the service list (packages/contracts/src/services.ts) can be an upstream. */
export type UpstreamName = ServiceName;

const ALL: Role[] = ['admin', 'reseller', 'client'];
const STAFF: Role[] = ['admin', 'reseller'];

export interface GatewayRoute {
  /** Path prefix, matched on whole segments. */
  prefix: string;
  upstream: UpstreamName;
  /** Deliberately public, or authenticated with the roles that may pass (services check again, finer). */
  access: 'public' | { roles: Role[] };
  /** Which rate limit applies: per client IP on auth routes, per tenant on the API. */
  limit: 'auth' | 'api' | 'none';
  /** Public storefront: the tenant comes from the Host and is inserted after the prefix. */
  storefront?: true;
  /** Signed callbacks: bodies pass through byte for byte. */
  raw?: true;
  summary: string;
}

/** The whole `/v1` surface. First match wins; a path that matches nothing is a 404. */
export const ROUTES: readonly GatewayRoute[] = [
  {
    prefix: '/.well-known/jwks.json',
    upstream: 'identity',
    access: 'public',
    limit: 'none',
    summary: 'Token signing keys (JWKS)',
  },
  {
    prefix: '/v1/auth/password/change',
    upstream: 'identity',
    access: { roles: ALL },
    limit: 'auth',
    summary: 'Change own password',
  },
  {
    prefix: '/v1/auth',
    upstream: 'identity',
    access: 'public',
    limit: 'auth',
    summary: 'Login, 2FA, refresh, logout, sign-up, password reset',
  },
  {
    prefix: '/v1/storefront',
    upstream: 'catalog',
    access: 'public',
    limit: 'api',
    storefront: true,
    summary: "The storefront catalog of the host's tenant",
  },
  {
    prefix: '/v1/callbacks/registrars',
    upstream: 'provisioning',
    access: 'public',
    limit: 'none',
    raw: true,
    summary: 'Registrar callbacks (signed)',
  },
  {
    prefix: '/v1/callbacks/payments',
    upstream: 'billing',
    access: 'public',
    limit: 'none',
    raw: true,
    summary: 'Payment provider webhooks (signed)',
  },
  {
    prefix: '/v1/me',
    upstream: 'identity',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Own profile and 2FA; a reseller’s own brand',
  },
  {
    prefix: '/v1/resellers',
    upstream: 'identity',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Resellers (tenants)',
  },
  { prefix: '/v1/clients', upstream: 'identity', access: { roles: STAFF }, limit: 'api', summary: 'Clients' },
  {
    prefix: '/v1/users',
    upstream: 'identity',
    access: { roles: ['admin'] },
    limit: 'api',
    summary: 'User administration',
  },
  {
    prefix: '/v1/settings',
    upstream: 'identity',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Platform and reseller settings',
  },
  {
    prefix: '/v1/audit-log',
    upstream: 'identity',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Security audit log',
  },
  {
    prefix: '/v1/admin',
    upstream: 'identity',
    access: { roles: ['admin'] },
    limit: 'api',
    summary: 'Platform administration',
  },
  {
    prefix: '/v1/product-groups',
    upstream: 'catalog',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Product groups',
  },
  {
    prefix: '/v1/products',
    upstream: 'catalog',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Products and pricing',
  },
  {
    prefix: '/v1/domain-pricing',
    upstream: 'catalog',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Domain TLD pricing',
  },
  {
    prefix: '/v1/offerings',
    upstream: 'catalog',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Reseller offerings',
  },
  {
    prefix: '/v1/promotions',
    upstream: 'catalog',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Promotions',
  },
  { prefix: '/v1/quotes', upstream: 'catalog', access: { roles: ALL }, limit: 'api', summary: 'Quotes' },
  { prefix: '/v1/orders', upstream: 'billing', access: { roles: ALL }, limit: 'api', summary: 'Orders' },
  {
    prefix: '/v1/invoices',
    upstream: 'billing',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Invoices, payments, credit notes',
  },
  {
    prefix: '/v1/client-services',
    upstream: 'billing',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Client services (what a client bought, its cycle and due date)',
  },
  {
    prefix: '/v1/credit',
    upstream: 'billing',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Account credit',
  },
  {
    prefix: '/v1/billing-settings',
    upstream: 'billing',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Billing settings (taxes, numbering, due days)',
  },
  {
    prefix: '/v1/payment-gateways',
    upstream: 'billing',
    access: { roles: STAFF },
    limit: 'api',
    summary: "The tenant's payment gateways (Stripe)",
  },
  {
    prefix: '/v1/domain-search',
    upstream: 'provisioning',
    access: 'public',
    limit: 'api',
    storefront: true,
    summary: "Domain search of the host's storefront (availability, prices)",
  },
  {
    prefix: '/v1/domains',
    upstream: 'provisioning',
    access: { roles: ALL },
    limit: 'api',
    summary:
      "Domains (a client's own, the tenant's for staff): nameservers, lock, privacy, contact, child hosts, DNS, EPP code",
  },
  {
    prefix: '/v1/registrars',
    upstream: 'provisioning',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Registrar accounts and the registrar per TLD',
  },
  {
    prefix: '/v1/payment-methods',
    upstream: 'billing',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Saved cards for automatic charges (a client its own)',
  },
  {
    prefix: '/v1/wholesale',
    upstream: 'billing',
    access: { roles: STAFF },
    limit: 'api',
    summary:
      "The reseller wholesale economy: the platform's consolidated invoices to each reseller, paying them, the platform's policy for unpaid ones",
  },
  {
    prefix: '/v1/billing-runs',
    upstream: 'billing',
    access: { roles: ['admin'] },
    limit: 'api',
    summary: "Run billing's nightly lifecycle now (renewals, dunning, wholesale), as of billing's clock",
  },
  {
    prefix: '/v1/billing-reports',
    upstream: 'billing',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Revenue, recurring revenue and receivables aging',
  },
  {
    prefix: '/v1/servers',
    upstream: 'provisioning',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Hosting servers (cPanel/WHM, Plesk, DirectAdmin)',
  },
  {
    prefix: '/v1/server-groups',
    upstream: 'provisioning',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Server groups and their fill strategy',
  },
  {
    prefix: '/v1/provisioning/accounts',
    upstream: 'provisioning',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Provisioned hosting accounts (a client sees its own)',
  },
  {
    prefix: '/v1/provisioning',
    upstream: 'provisioning',
    access: { roles: STAFF },
    limit: 'api',
    summary: 'Provisioning jobs and product placements',
  },
  {
    prefix: '/v1/support',
    upstream: 'support',
    access: { roles: ALL },
    limit: 'api',
    summary: 'Support departments, tickets and canned replies',
  },
];

/** Each table's prefixes with their trailing slash, made once (not one string per route per request). */
const prepared = new WeakMap<readonly GatewayRoute[], { route: GatewayRoute; under: string }[]>();

export function matchRoute(path: string, routes: readonly GatewayRoute[] = ROUTES): GatewayRoute | undefined {
  let table = prepared.get(routes);
  if (!table) {
    table = routes.map((route) => ({
      route,
      under: route.prefix.endsWith('/') ? route.prefix : `${route.prefix}/`,
    }));
    prepared.set(routes, table);
  }
  for (const { route, under } of table) if (path === route.prefix || path.startsWith(under)) return route;
  return undefined;
}
