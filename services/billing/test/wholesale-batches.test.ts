import { tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { client, startBilling, type Harness, type Shop } from './support/billing';
import { activeService, openShop, testClock } from './support/lifecycle';

/** The order's product line as catalog's internal quote stores it for a resold product. */
async function resold(h: Harness, shop: Shop, serviceId: string, price: number) {
  await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
    tx.execute(sql`
      update orders o set snapshot = jsonb_set(o.snapshot, '{lines,0,details}',
        (o.snapshot #> '{lines,0,details}')
          || jsonb_build_object('source', 'resold', 'wholesale', jsonb_build_object('price', ${price}::int, 'setupFee', 0)))
       where o.tenant_id = ${shop.tenantId}
         and o.id = (select order_id from client_services where tenant_id = ${shop.tenantId} and id = ${serviceId})`),
  );
}

/** A wholesale run in bounded batches (one service, one reseller at a time) still misses nothing. */
describe('the wholesale run in small batches', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  beforeAll(async () => {
    h = await startBilling({ now: clock.now, lifecycleJobs: false, lifecycleBatchSize: 1 });
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  it('charges every resold service and gathers each reseller’s on one invoice', async () => {
    const [a, b] = [await openShop(h), await openShop(h)];
    const mine: string[] = [];
    for (const price of [100, 200, 300]) {
      const s = await activeService(h, a);
      await resold(h, a, s.serviceId, price);
      mine.push(s.serviceId);
    }
    await activeService(h, a); // A's own product, walked past
    const theirs = await activeService(h, b);
    await resold(h, b, theirs.serviceId, 700);
    expect(await h.billing.built.services.wholesale.run()).toEqual({
      charged: 4,
      invoiced: 2,
      suspended: 0,
      unsuspended: 0,
    });
    const api = client(h.url);
    const aBills = (await api.get('/v1/wholesale/invoices', a.resellerToken)).body.items;
    expect(aBills.map((i: any) => [i.total, i.charges.length])).toEqual([[600, 3]]);
    expect(aBills[0].charges.map((c: any) => c.serviceId).sort()).toEqual([...mine].sort());
    const bBills = (await api.get('/v1/wholesale/invoices', b.resellerToken)).body.items;
    expect(bBills.map((i: any) => i.total)).toEqual([700]);
    expect(await h.billing.built.services.wholesale.run()).toMatchObject({ charged: 0, invoiced: 0 });
  });
});
