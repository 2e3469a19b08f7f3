import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { newId, rows, tenantScope, type Database } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { createCipher } from './domain/crypto';
import { upsertPlacement } from './store/placements.store';
import { insertGroup } from './store/server-groups.store';
import { insertServer } from './store/servers.store';

export interface ProvisioningDemoOptions {
  /** The sealing key the service runs with. */
  encryptionKey: string;
  /** Where the demo's panel answers WHM API 1 (the loopback stand-in of src/dev). */
  panel: { hostname: string; port: number; tls: boolean };
  resellerTenantId: string;
  /** Catalog's demo products to place: the platform's (resold ones included) and the reseller's own. */
  platformProductIds?: string[];
  resellerProductIds?: string[];
}

export interface ProvisioningDemo {
  platform: { groupId: string; serverId: string };
  reseller: { groupId: string; serverId: string };
}

/**
 * The embedded demo: a platform cPanel server in a platform group and a reseller-owned one in the
 * reseller's group, both on the demo panel, with catalog's products placed on them. Idempotent: a second
 * run finds what the first made.
 */
export async function seedProvisioningDemo(
  db: Database,
  o: ProvisioningDemoOptions,
): Promise<ProvisioningDemo> {
  const cipher = createCipher(o.encryptionKey);
  const seedTenant = async (tenantId: string, name: string, productIds: string[]) => {
    const scope = tenantScope(tenantId);
    return db.withTenant(scope, async (tx) => {
      const [found] = await rows<{ group_id: string; server_id: string }>(
        tx,
        sql`select g.id as group_id, s.id as server_id from server_groups g
              join servers s on s.tenant_id = g.tenant_id and s.group_id = g.id
            where g.tenant_id = ${tenantId} and g.name = ${`${name} hosting`} and s.name = ${`${name}-whm`}`,
      );
      const ids = found
        ? { groupId: found.group_id, serverId: found.server_id }
        : { groupId: newId(), serverId: newId() };
      if (!found) {
        await insertGroup(tx, scope, {
          id: ids.groupId,
          name: `${name} hosting`,
          fillStrategy: 'least_accounts',
        });
        await insertServer(tx, scope, {
          id: ids.serverId,
          groupId: ids.groupId,
          name: `${name}-whm`,
          module: 'cpanel',
          hostname: o.panel.hostname,
          port: o.panel.port,
          tls: o.panel.tls,
          ipAddress: null,
          nameservers: ['ns1.demo.test', 'ns2.demo.test'],
          maxAccounts: 500,
          enabled: true,
          sortOrder: 0,
          sealedCredentials: cipher.seal(
            'server-credentials',
            JSON.stringify({ username: 'root', apiToken: `demo-${name}-token` }),
          ),
        });
      }
      // The demo panel listens on a new port at every start: point the demo server at the current one.
      if (found)
        await tx.execute(
          sql`update servers set hostname = ${o.panel.hostname}, port = ${o.panel.port}, tls = ${o.panel.tls}
              where tenant_id = ${tenantId} and id = ${ids.serverId}`,
        );
      for (const productId of productIds) await upsertPlacement(tx, scope, productId, ids.groupId);
      return ids;
    });
  };
  return {
    platform: await seedTenant(PLATFORM_TENANT_ID, 'platform', o.platformProductIds ?? []),
    reseller: await seedTenant(o.resellerTenantId, 'reseller', o.resellerProductIds ?? []),
  };
}
