import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { client, resellerProfile, startCatalog, type Client, type Harness } from './support/catalog';

/** Counting promotion uses from billing.order.placed.v1: idempotent, never past the limit. */
describe('promotion redemptions', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  let token: string;
  let productId: string;

  beforeAll(async () => {
    h = await startCatalog();
    api = client(h.url);
    await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true));
    token = h.issuer.tokenFor('reseller', A);
    const g = await api.post('/v1/product-groups', { name: 'Plans' }, token);
    const p = await api.post(
      '/v1/products',
      {
        groupId: g.body.id,
        name: 'Site',
        type: 'other',
        module: 'none',
        prices: [{ currency: 'EUR', cycle: 'monthly', price: 1000 }],
      },
      token,
    );
    productId = p.body.id;
  }, 60_000);
  afterAll(() => h.stop());

  const promotion = async (code: string, extra: object = {}) => {
    const res = await api.post(
      '/v1/promotions',
      { code, discount: { kind: 'percent', bps: 1000 }, appliesTo: { kind: 'order' }, ...extra },
      token,
    );
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const order = (promotionId: string, clientId = newId(), orderId = newId()) => ({
    orderId,
    clientId,
    currency: 'EUR',
    total: 900,
    promotionId,
    items: [{ productId, cycle: 'monthly', quantity: 1 }],
  });
  const counts = (promotionId: string) =>
    h.db.withTenant(tenantScope(A), async (tx) => {
      const [p] = await rows<{ redeemed: number }>(
        tx,
        sql`select redeemed from promotions where id = ${promotionId}`,
      );
      const r = await rows<{ status: string; n: number }>(
        tx,
        sql`select status, count(*)::int as n from promotion_redemptions where promotion_id = ${promotionId} group by status`,
      );
      const outbox = await rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from outbox where type = 'catalog.promotion.redeemed.v1'
            and envelope->'data'->>'promotionId' = ${promotionId}`,
      );
      return {
        redeemed: p!.redeemed,
        counted: r.find((x) => x.status === 'counted')?.n ?? 0,
        refused: r.find((x) => x.status === 'refused')?.n ?? 0,
        events: outbox[0]!.n,
      };
    });

  it('never counts more than the limit under concurrent orders', async () => {
    const id = await promotion('RUSH', { maxUses: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () => h.deliver('billing.order.placed.v1', A, order(id))),
    );
    expect(outcomes.every((o) => o === 'ack')).toBe(true);
    expect(await counts(id)).toEqual({ redeemed: 3, counted: 3, refused: 9, events: 3 });
    const quote = await api.post(
      '/v1/quotes',
      { currency: 'EUR', items: [{ productId, cycle: 'monthly' }], promoCode: 'rush' },
      h.issuer.tokenFor('client', A),
    );
    expect(quote.body.code).toBe('catalog.promotion_limit_reached');
  });

  it('counts a duplicated order-placed event once (same event id, or same order in a new event)', async () => {
    const id = await promotion('TWICE');
    const o = order(id);
    const eventId = newId();
    await h.deliver('billing.order.placed.v1', A, o, eventId);
    await h.deliver('billing.order.placed.v1', A, o, eventId);
    await h.deliver('billing.order.placed.v1', A, o);
    expect(await counts(id)).toEqual({ redeemed: 1, counted: 1, refused: 0, events: 1 });
  });

  it('enforces the per-client limit at order time and in quotes', async () => {
    const id = await promotion('ONCEEACH', { maxUsesPerClient: 1 });
    const clientId = newId();
    await h.deliver('billing.order.placed.v1', A, order(id, clientId));
    await h.deliver('billing.order.placed.v1', A, order(id, clientId));
    expect(await counts(id)).toMatchObject({ redeemed: 1, counted: 1, refused: 1 });
    const quote = await api.post(
      '/v1/quotes',
      { currency: 'EUR', items: [{ productId, cycle: 'monthly' }], promoCode: 'ONCEEACH' },
      h.issuer.tokenFor('client', A, clientId),
    );
    expect(quote.body.code).toBe('catalog.promotion_client_limit_reached');
  });

  it('treats a client with a placed order as no longer new', async () => {
    await promotion('NEWBIES', { newClientsOnly: true });
    const clientId = newId();
    const quote = () =>
      api.post(
        '/v1/quotes',
        { currency: 'EUR', items: [{ productId, cycle: 'monthly' }], promoCode: 'newbies' },
        h.issuer.tokenFor('client', A, clientId),
      );
    expect((await quote()).body.totals).toMatchObject({ discountTotal: 100, total: 900 });
    const { promotionId: _, ...withoutPromo } = order(newId(), clientId);
    await h.deliver('billing.order.placed.v1', A, withoutPromo);
    expect((await quote()).body.code).toBe('catalog.promotion_new_clients_only');
  });

  it("does not count an order against another tenant's promotion", async () => {
    const id = await promotion('MINE', { maxUses: 5 });
    const other = newId();
    await h.deliver('identity.reseller.created.v1', other, resellerProfile(other, false));
    expect(await h.deliver('billing.order.placed.v1', other, order(id))).toBe('ack');
    expect(await counts(id)).toMatchObject({ redeemed: 0, counted: 0 });
  });
});
