import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { newId, rows, tenantScope, type Database } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { createCipher } from './domain/crypto';
import { insertRegistrarAccount, upsertTldRegistrar } from './store/registrar-accounts.store';

export interface DomainsDemoOptions {
  /** The sealing key the service runs with. */
  encryptionKey: string;
  /** Where the demo registrar answers Name.com's API v4 (the loopback stand-in of src/dev). */
  registrarUrl: string;
  /** The gateway's public base URL: Name.com signs its callbacks with the URL they are sent to. */
  gatewayUrl: string;
  resellerTenantId: string;
}

export interface DomainsDemo {
  platform: { accountId: string; webhookUrl: string; token: string };
  reseller: { accountId: string; webhookUrl: string; token: string };
}

/**
 * The embedded demo's registrars: the platform's Name.com account (.com, .net, .org — resellers without an
 * account of their own resell through it) and the reseller's own (.io), both on the stand-in. Idempotent:
 * a second run finds what the first made and points them at the stand-in's current port.
 */
export async function seedDomainsDemo(db: Database, o: DomainsDemoOptions): Promise<DomainsDemo> {
  const cipher = createCipher(o.encryptionKey);
  const seedTenant = async (tenantId: string, name: string, tlds: string[]) => {
    const scope = tenantScope(tenantId);
    const token = `demo-${name}-namecom-token`;
    return db.withTenant(scope, async (tx) => {
      const [found] = await rows<{ id: string }>(
        tx,
        sql`select id from registrar_accounts where tenant_id = ${tenantId} and name = ${`${name}-namecom`}`,
      );
      const id = found?.id ?? newId();
      const webhookUrl = `${o.gatewayUrl.replace(/\/+$/, '')}/v1/callbacks/registrars/namecom/${id}`;
      if (!found)
        await insertRegistrarAccount(tx, scope, {
          id,
          name: `${name}-namecom`,
          registrar: 'namecom',
          endpoint: o.registrarUrl,
          webhookUrl,
          webhookSecretSet: false,
          enabled: true,
          sealedCredentials: cipher.seal(
            'registrar-credentials',
            JSON.stringify({ username: 'demo', token }),
          ),
        });
      else
        await tx.execute(
          sql`update registrar_accounts set endpoint = ${o.registrarUrl}, webhook_url = ${webhookUrl}
              where tenant_id = ${tenantId} and id = ${id}`,
        );
      for (const tld of tlds) await upsertTldRegistrar(tx, scope, tld, id);
      return { accountId: id, webhookUrl, token };
    });
  };
  return {
    platform: await seedTenant(PLATFORM_TENANT_ID, 'platform', ['.com', '.net', '.org']),
    reseller: await seedTenant(o.resellerTenantId, 'reseller', ['.io']),
  };
}
