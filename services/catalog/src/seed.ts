import { newId, tenantScope, type Database, type TenantScope, type Tx } from '@geminis/service-kit';
import { PLATFORM_TENANT_ID } from './domain/context';
import { MODULE_CONFIG } from './domain/modules';
import { replaceTldPrices } from './store/domain-prices.store';
import { insertGroup, listGroups } from './store/groups.store';
import { upsertOffering } from './store/offerings.store';
import { replaceAddons, replaceOptions } from './store/options.store';
import { replacePrices, type Price } from './store/prices.store';
import { insertProduct, listProducts, type NewProduct } from './store/products.store';
import { findPromotionByCode, savePromotion } from './store/promotions.store';
import { findReseller, upsertReseller } from './store/resellers.store';

export interface CatalogDemo {
  platform: { starter: string; pro: string; plesk: string; domain: string };
  reseller: { tenantId: string; custom: string };
  promotionCode: string;
}

const m = (monthly: number, annually: number, setup = 0): Price[] =>
  ['EUR', 'USD'].flatMap((currency) => [
    { currency, cycle: 'monthly' as const, price: BigInt(monthly), setupFee: BigInt(setup) },
    { currency, cycle: 'annually' as const, price: BigInt(annually), setupFee: 0n },
  ]);

async function product(
  tx: Tx,
  scope: TenantScope,
  p: Omit<NewProduct, 'id' | 'moduleConfig' | 'sortOrder' | 'description'> & {
    moduleConfig: Record<string, unknown>;
    description: string;
    sortOrder: number;
  },
) {
  const moduleConfig = MODULE_CONFIG[p.module].parse(p.moduleConfig) as Record<string, unknown>;
  return insertProduct(tx, scope, { ...p, id: newId(), moduleConfig });
}

/**
 * Demo catalog (idempotent: a tenant that already has groups is left alone): the platform's cPanel and
 * Plesk hosting plans (resellable, with wholesale prices), domain pricing for .com/.net/.io, the reseller
 * "Acme" reselling Starter and Pro at its own prices plus one custom product, and WELCOME10.
 */
export async function seedCatalogDemo(
  db: Database,
  opts: { resellerTenantId: string },
): Promise<CatalogDemo> {
  const platform = tenantScope(PLATFORM_TENANT_ID);
  const reseller = tenantScope(opts.resellerTenantId);

  const ids = await db.withTenant(platform, async (tx) => {
    if ((await listGroups(tx, platform)).length === 0) {
      const hosting = newId();
      const domains = newId();
      await insertGroup(tx, platform, {
        id: hosting,
        name: 'Web Hosting',
        description: 'Shared hosting',
        sortOrder: 1,
        visible: true,
      });
      await insertGroup(tx, platform, {
        id: domains,
        name: 'Domains',
        description: '',
        sortOrder: 2,
        visible: true,
      });
      const base = {
        groupId: hosting,
        type: 'shared_hosting' as const,
        visibility: 'visible' as const,
        resellable: true,
      };
      const starter = await product(tx, platform, {
        ...base,
        name: 'Starter',
        module: 'cpanel',
        moduleConfig: { package: 'starter' },
        description: '10 GB SSD, 1 site',
        sortOrder: 1,
      });
      const pro = await product(tx, platform, {
        ...base,
        name: 'Pro',
        module: 'cpanel',
        moduleConfig: { package: 'pro' },
        description: '50 GB SSD, unlimited sites',
        sortOrder: 2,
      });
      const plesk = await product(tx, platform, {
        ...base,
        name: 'Plesk Business',
        module: 'plesk',
        moduleConfig: { servicePlan: 'Business' },
        description: 'Plesk Obsidian, 100 GB',
        sortOrder: 3,
      });
      await product(tx, platform, {
        groupId: domains,
        type: 'domain',
        visibility: 'visible',
        resellable: false,
        name: 'Domain registration',
        module: 'registrar',
        moduleConfig: { registrar: 'resellerclub' },
        description: '',
        sortOrder: 1,
      });
      await replacePrices(tx, platform, 'product', starter.id, m(499, 4990, 0));
      await replacePrices(tx, platform, 'wholesale', starter.id, m(250, 2500));
      await replacePrices(tx, platform, 'product', pro.id, m(999, 9990, 500));
      await replacePrices(tx, platform, 'wholesale', pro.id, m(600, 6000));
      await replacePrices(tx, platform, 'product', plesk.id, m(1499, 14990, 1000));
      await replacePrices(tx, platform, 'wholesale', plesk.id, m(900, 9000));
      const backups = newId();
      await replaceOptions(tx, platform, pro.id, [
        {
          id: newId(),
          productId: pro.id,
          name: 'Extra storage (10 GB)',
          kind: 'quantity',
          minQuantity: 0,
          maxQuantity: 10,
          sortOrder: 1,
          choices: [{ id: backups, label: '10 GB', sortOrder: 0 }],
        },
      ]);
      await replacePrices(tx, platform, 'option', backups, m(200, 2000));
      const ssl = newId();
      await replaceAddons(tx, platform, starter.id, [
        { id: ssl, productId: starter.id, name: 'Daily backups', description: 'Off-site, 30 days' },
      ]);
      await replacePrices(tx, platform, 'addon', ssl, m(150, 1500));
      for (const [tld, reg, renew, transfer] of [
        ['.com', 1199, 1399, 1199],
        ['.net', 1399, 1599, 1399],
        ['.io', 3999, 4499, 3999],
      ] as const) {
        await replaceTldPrices(
          tx,
          platform,
          tld,
          ['EUR', 'USD'].flatMap((currency) =>
            [1, 2].map((years) => ({
              tld,
              currency,
              years,
              register: BigInt(reg * years),
              renew: BigInt(renew * years),
              transfer: BigInt(transfer * years),
            })),
          ),
        );
      }
    }
    const products = await listProducts(tx, platform);
    const byName = (name: string) => products.find((p) => p.name === name)!.id;
    if (!(await findPromotionByCode(tx, platform, 'WELCOME10'))) {
      await savePromotion(
        tx,
        platform,
        {
          id: newId(),
          tenantId: PLATFORM_TENANT_ID,
          code: 'WELCOME10',
          description: '10% off your first payment',
          discount: { kind: 'percent', bps: 1000 },
          appliesTo: { kind: 'order' },
          cycles: [],
          recurrence: { kind: 'first_payment' },
          freeSetup: false,
          startsAt: null,
          endsAt: null,
          maxUses: null,
          maxUsesPerClient: 1,
          newClientsOnly: true,
          redeemed: 0,
          active: true,
        },
        true,
      );
    }
    return {
      starter: byName('Starter'),
      pro: byName('Pro'),
      plesk: byName('Plesk Business'),
      domain: byName('Domain registration'),
    };
  });

  const custom = await db.withTenant(reseller, async (tx) => {
    // Until identity's reseller event arrives: a bootstrap profile dated at the epoch, so any real event wins.
    if (!(await findReseller(tx, reseller, opts.resellerTenantId)))
      await upsertReseller(
        tx,
        reseller,
        { tenantId: opts.resellerTenantId, slug: 'acme', allowCustomProducts: true, status: 'active' },
        new Date(0).toISOString(),
      );
    if ((await listGroups(tx, reseller)).length === 0) {
      const group = newId();
      await insertGroup(tx, reseller, {
        id: group,
        name: 'Acme Hosting',
        description: 'Hosting by Acme',
        sortOrder: 1,
        visible: true,
      });
      await upsertOffering(tx, reseller, { productId: ids.starter, enabled: true, groupId: group });
      await replacePrices(tx, reseller, 'offering', ids.starter, m(599, 5990));
      await upsertOffering(tx, reseller, { productId: ids.pro, enabled: true, groupId: group });
      await replacePrices(tx, reseller, 'offering', ids.pro, m(1199, 11990, 500));
      const site = await product(tx, reseller, {
        groupId: group,
        type: 'other',
        visibility: 'visible',
        resellable: false,
        name: 'Acme Site Care',
        module: 'none',
        moduleConfig: {},
        description: 'Monthly WordPress care by Acme',
        sortOrder: 3,
      });
      await replacePrices(tx, reseller, 'product', site.id, m(2500, 25000, 0));
      for (const [tld, reg] of [
        ['.com', 1499],
        ['.net', 1699],
      ] as const)
        await replaceTldPrices(
          tx,
          reseller,
          tld,
          ['EUR', 'USD'].map((currency) => ({
            tld,
            currency,
            years: 1,
            register: BigInt(reg),
            renew: BigInt(reg),
            transfer: BigInt(reg),
          })),
        );
    }
    return (await listProducts(tx, reseller)).find((p) => p.name === 'Acme Site Care')!.id;
  });

  return { platform: ids, reseller: { tenantId: opts.resellerTenantId, custom }, promotionCode: 'WELCOME10' };
}

const ACME_PLESK = 'Acme Plesk Hosting';

/**
 * The demo reseller's own Plesk hosting (provisioning places it on the reseller's own Plesk server, on
 * the `Business` service plan), priced in EUR and USD; its id. Idempotent, and added to a demo catalog
 * seeded before it existed too. Kept beside seedCatalogDemo rather than inside it, so the demo catalog
 * the catalog tests assert on stays as it is; `npm start` runs both.
 */
export async function seedResellerPleskDemo(
  db: Database,
  opts: { resellerTenantId: string },
): Promise<string> {
  const reseller = tenantScope(opts.resellerTenantId);
  return db.withTenant(reseller, async (tx) => {
    const found = (await listProducts(tx, reseller)).find((p) => p.name === ACME_PLESK);
    if (found) return found.id;
    const group = (await listGroups(tx, reseller))[0];
    if (!group)
      throw new Error('seed the demo catalog (seedCatalogDemo) before the reseller’s Plesk product');
    const plesk = await product(tx, reseller, {
      groupId: group.id,
      type: 'shared_hosting',
      visibility: 'visible',
      resellable: false,
      name: ACME_PLESK,
      module: 'plesk',
      moduleConfig: { servicePlan: 'Business' },
      description: 'Plesk hosting by Acme, 20 GB',
      sortOrder: 4,
    });
    await replacePrices(tx, reseller, 'product', plesk.id, m(1299, 12990, 0));
    return plesk.id;
  });
}
