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
  panel: PanelAddress;
  /** Where the demo's Plesk answers the XML API (the loopback stand-in of src/dev), if it runs one. */
  plesk?: PanelAddress;
  resellerTenantId: string;
  /** Catalog's demo products to place: the platform's (resold ones included) and the reseller's own. */
  platformProductIds?: string[];
  resellerProductIds?: string[];
  /** The reseller's own Plesk products, placed on its Plesk server (seeded only with `plesk`). */
  resellerPleskProductIds?: string[];
}

interface PanelAddress {
  hostname: string;
  port: number;
  tls: boolean;
}

interface Placed {
  groupId: string;
  serverId: string;
}

export interface ProvisioningDemo {
  platform: Placed;
  reseller: Placed;
  /** The reseller-owned Plesk server and its group, when the demo has a Plesk. */
  resellerPlesk?: Placed;
}

/**
 * The embedded demo: a platform cPanel server in a platform group and a reseller-owned one in the
 * reseller's group, both on the demo WHM, and (with `plesk`) a reseller-owned Plesk server in a group of
 * its own on the demo Plesk, with catalog's products placed on them. Idempotent: a second run finds what
 * the first made, and points the servers at the stand-ins' current ports.
 */
export async function seedProvisioningDemo(
  db: Database,
  o: ProvisioningDemoOptions,
): Promise<ProvisioningDemo> {
  const cipher = createCipher(o.encryptionKey);
  const seedServer = async (
    tenantId: string,
    names: { group: string; server: string },
    panel: PanelAddress,
    kind: { module: 'cpanel' | 'plesk'; credentials: Record<string, string>; ipAddress: string | null },
    productIds: string[],
  ): Promise<Placed> => {
    const scope = tenantScope(tenantId);
    return db.withTenant(scope, async (tx) => {
      const [found] = await rows<{ group_id: string; server_id: string }>(
        tx,
        sql`select g.id as group_id, s.id as server_id from server_groups g
              join servers s on s.tenant_id = g.tenant_id and s.group_id = g.id
            where g.tenant_id = ${tenantId} and g.name = ${names.group} and s.name = ${names.server}`,
      );
      const ids = found
        ? { groupId: found.group_id, serverId: found.server_id }
        : { groupId: newId(), serverId: newId() };
      if (!found) {
        await insertGroup(tx, scope, { id: ids.groupId, name: names.group, fillStrategy: 'least_accounts' });
        await insertServer(tx, scope, {
          id: ids.serverId,
          groupId: ids.groupId,
          name: names.server,
          module: kind.module,
          hostname: panel.hostname,
          port: panel.port,
          tls: panel.tls,
          ipAddress: kind.ipAddress,
          nameservers: ['ns1.demo.test', 'ns2.demo.test'],
          maxAccounts: 500,
          enabled: true,
          sortOrder: 0,
          sealedCredentials: cipher.seal('server-credentials', JSON.stringify(kind.credentials)),
        });
      }
      // The demo panels listen on a new port at every start: point the demo server at the current one.
      if (found)
        await tx.execute(
          sql`update servers set hostname = ${panel.hostname}, port = ${panel.port}, tls = ${panel.tls}
              where tenant_id = ${tenantId} and id = ${ids.serverId}`,
        );
      for (const productId of productIds) await upsertPlacement(tx, scope, productId, ids.groupId);
      return ids;
    });
  };
  const whm = (name: string) => ({
    module: 'cpanel' as const,
    credentials: { username: 'root', apiToken: `demo-${name}-token` },
    ipAddress: null,
  });
  const demo: ProvisioningDemo = {
    platform: await seedServer(
      PLATFORM_TENANT_ID,
      { group: 'platform hosting', server: 'platform-whm' },
      o.panel,
      whm('platform'),
      o.platformProductIds ?? [],
    ),
    reseller: await seedServer(
      o.resellerTenantId,
      { group: 'reseller hosting', server: 'reseller-whm' },
      o.panel,
      whm('reseller'),
      o.resellerProductIds ?? [],
    ),
  };
  if (o.plesk)
    demo.resellerPlesk = await seedServer(
      o.resellerTenantId,
      { group: 'reseller Plesk hosting', server: 'reseller-plesk' },
      o.plesk,
      // A Plesk webspace goes on the server's shared IP: the stand-in's is loopback.
      { module: 'plesk', credentials: { secretKey: 'demo-reseller-plesk-key' }, ipAddress: '127.0.0.1' },
      o.resellerPleskProductIds ?? [],
    );
  return demo;
}
