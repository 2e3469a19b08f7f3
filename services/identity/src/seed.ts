import { allTenants, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { PLATFORM_TENANT_ID } from './domain/context';
import { type Actor } from './domain/context';
import { findCredentialsByEmail, insertUser } from './store/users.store';
import { resolveTenant } from './store/resellers.store';
import { newId } from '@geminis/service-kit';
import { type IdentityBuilt } from './service';

/** Fixed demo passwords: printed by `npm start`, never used outside the embedded demo. */
export const DEMO_PASSWORDS = {
  admin: 'demo-admin-pass-1',
  reseller: 'demo-reseller-pass-1',
  resellerClient: 'demo-client-pass-1',
  platformClient: 'demo-client-pass-2',
} as const;

export interface IdentityDemo {
  admin: { id: string; email: string; password: string; tenantId: string };
  reseller: {
    id: string;
    tenantId: string;
    slug: string;
    domain: string;
    email: string;
    password: string;
    userId: string;
  };
  resellerClient: { id: string; email: string; password: string; tenantId: string };
  platformClient: { id: string; email: string; password: string; tenantId: string };
}

/**
 * Seeds the demo accounts through the service's own use cases (idempotent: what exists is reused):
 * the platform admin, reseller Acme (slug acme, domain acme.localhost) with its login, a client of Acme
 * and a direct platform client.
 */
export async function seedIdentityDemo(
  db: Database,
  services: IdentityBuilt['services'],
): Promise<IdentityDemo> {
  const platform = tenantScope(PLATFORM_TENANT_ID);
  const byEmail = (tenantId: string, email: string) => {
    const scope = tenantScope(tenantId) as typeof platform & { kind: 'tenant' };
    return db.withTenant(scope, (tx) => findCredentialsByEmail(tx, scope, email));
  };

  const adminEmail = 'admin@geminis.local';
  let admin = await byEmail(PLATFORM_TENANT_ID, adminEmail);
  const adminId =
    admin?.id ??
    (await (async () => {
      const passwordHash = await services.hasher.hash(DEMO_PASSWORDS.admin);
      const u = await db.withTenant(platform, (tx) =>
        insertUser(tx, platform, {
          id: newId(),
          tenantId: PLATFORM_TENANT_ID,
          role: 'admin',
          email: adminEmail,
          name: 'Platform Admin',
          language: 'en',
          currency: 'EUR',
          passwordHash,
        }),
      );
      return u.id;
    })());
  admin = await byEmail(PLATFORM_TENANT_ID, adminEmail);
  const actor: Actor = {
    auth: {
      userId: adminId,
      role: 'admin',
      tenantId: PLATFORM_TENANT_ID,
      tokenId: 'seed',
      issuedAt: Math.floor(Date.now() / 1000),
    } satisfies AuthContext,
  };

  const resellerEmail = 'reseller@acme.localhost';
  let acme = await db.withTenant(allTenants, (tx) => resolveTenant(tx, { slug: 'acme' }));
  if (!acme) {
    acme = (
      await services.resellers.create(actor, {
        slug: 'acme',
        brandName: 'Acme Hosting',
        customDomains: ['acme.localhost'],
        allowCustomProducts: true,
        supportEmail: 'support@acme.localhost',
        owner: { email: resellerEmail, name: 'Acme Owner', password: DEMO_PASSWORDS.reseller },
      })
    ).reseller;
  }
  const resellerUser = (await byEmail(acme.id, resellerEmail))!;

  const acmeClientEmail = 'client@acme.localhost';
  const acmeClient =
    (await byEmail(acme.id, acmeClientEmail)) ??
    (await services.clients.insertClient(
      acme.id,
      {
        email: acmeClientEmail,
        name: 'Acme Client',
        password: DEMO_PASSWORDS.resellerClient,
        language: 'en',
        currency: 'EUR',
      },
      'reseller',
      {
        auth: {
          userId: resellerUser.id,
          role: 'reseller',
          tenantId: acme.id,
          tokenId: 'seed',
          issuedAt: Math.floor(Date.now() / 1000),
        },
      },
    ));

  const platformClientEmail = 'client@geminis.local';
  const platformClient =
    (await byEmail(PLATFORM_TENANT_ID, platformClientEmail)) ??
    (await services.clients.insertClient(
      PLATFORM_TENANT_ID,
      {
        email: platformClientEmail,
        name: 'Direct Client',
        password: DEMO_PASSWORDS.platformClient,
        language: 'en',
        currency: 'EUR',
      },
      'admin',
      actor,
    ));

  return {
    admin: { id: admin!.id, email: adminEmail, password: DEMO_PASSWORDS.admin, tenantId: PLATFORM_TENANT_ID },
    reseller: {
      id: acme.id,
      tenantId: acme.id,
      slug: 'acme',
      domain: 'acme.localhost',
      userId: resellerUser.id,
      email: resellerEmail,
      password: DEMO_PASSWORDS.reseller,
    },
    resellerClient: {
      id: acmeClient.id,
      email: acmeClientEmail,
      password: DEMO_PASSWORDS.resellerClient,
      tenantId: acme.id,
    },
    platformClient: {
      id: platformClient.id,
      email: platformClientEmail,
      password: DEMO_PASSWORDS.platformClient,
      tenantId: PLATFORM_TENANT_ID,
    },
  };
}
