import { tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Harness, type Shop } from './billing';

/**
 * Makes a shop's service a resold one, as catalog's internal quote stores it in the order's snapshot: on its
 * product line `details.wholesale: { price, setupFee }` with `details.source: 'resold'`, and (when given)
 * `details.platformProductId`, the platform's product the line's productId (the reseller's alias) resells.
 */
export async function resoldAt(
  h: Harness,
  shop: Shop,
  serviceId: string,
  price: number,
  opts: { setupFee?: number; platformProductId?: string } = {},
) {
  const extra = opts.platformProductId ? { platformProductId: opts.platformProductId } : {};
  await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
    tx.execute(sql`
      update orders o set snapshot = jsonb_set(o.snapshot, '{lines}', (
        select jsonb_agg(case when x ->> 'kind' = 'product'
                              then jsonb_set(x, '{details}', (x -> 'details') || jsonb_build_object(
                                     'source', 'resold', 'wholesale',
                                     jsonb_build_object('price', ${price}::int, 'setupFee', ${opts.setupFee ?? 0}::int))
                                     || ${JSON.stringify(extra)}::jsonb)
                              else x end order by n)
          from jsonb_array_elements(o.snapshot -> 'lines') with ordinality t(x, n)))
       where o.tenant_id = ${shop.tenantId}
         and o.id = (select order_id from client_services where tenant_id = ${shop.tenantId} and id = ${serviceId})`),
  );
}

/**
 * A domain line's wholesale as catalog's internal quote now stores it: `details.wholesale` on the order's
 * domain line of that name (the platform's TLD price for the action and years), or null (a TLD the platform
 * does not price: nothing owed).
 */
export async function domainWholesale(
  h: Harness,
  shop: Shop,
  orderId: string,
  domain: string,
  wholesale: { price: number; setupFee: number } | null,
) {
  await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
    tx.execute(sql`
      update orders o set snapshot = jsonb_set(o.snapshot, '{lines}', (
        select jsonb_agg(case when x ->> 'kind' = 'domain' and x -> 'details' ->> 'domain' = ${domain}
                              then jsonb_set(x, '{details}', (x -> 'details') || jsonb_build_object(
                                     'source', 'own', 'wholesale', ${JSON.stringify(wholesale)}::jsonb))
                              else x end order by n)
          from jsonb_array_elements(o.snapshot -> 'lines') with ordinality t(x, n)))
       where o.tenant_id = ${shop.tenantId} and o.id = ${orderId}`),
  );
}
