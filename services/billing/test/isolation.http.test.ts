import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import {
  client,
  newClient,
  openShop,
  PLATFORM_TENANT_ID,
  startBilling,
  type Client,
  type Harness,
  type Res,
} from './support/billing';

type Caller = 'resellerB' | 'siblingA2' | 'clientB1';

const ANY_PRODUCT = '01900000-0000-7000-8000-000000000001';

/**
 * The cross-tenant matrix: another tenant's or a sibling client's order, invoice, payments, service and
 * credit answer exactly like a random id (404); lists hold only the caller's rows; nothing changes. Run
 * twice: on the real database, and with row-level security opened so the stores' own tenant filters are
 * the only wall (a store that forgot its filter fails the second run).
 */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('billing isolation %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  const t = {} as Record<Caller | 'resellerA' | 'clientA1' | 'admin', string>;
  const ids = {} as {
    order: string;
    invoice: string;
    service: string;
    active: string;
    client: string;
    bOrder: string;
  };

  beforeAll(async () => {
    h = await startBilling({ lifecycleJobs: false }, { firstWallOnly });
    api = client(h.url);
    const [A, B] = await Promise.all([openShop(h), openShop(h)]);
    const [a1, a2, b1] = await Promise.all([
      newClient(h, A.tenantId),
      newClient(h, A.tenantId),
      newClient(h, B.tenantId),
    ]);
    Object.assign(t, {
      admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
      resellerA: A.resellerToken,
      resellerB: B.resellerToken,
      clientA1: a1.token,
      siblingA2: a2.token,
      clientB1: b1.token,
    });
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: A.productId, cycle: 'monthly' }] },
      a1.token,
    );
    expect(order.status).toBe(201);
    const bOrder = await api.post(
      '/v1/orders',
      { items: [{ productId: B.productId, cycle: 'monthly' }] },
      b1.token,
    );
    // an active service of A1 (paid, provisioned): what staff actions would change
    const second = await api.post(
      '/v1/orders',
      { items: [{ productId: A.productId, cycle: 'monthly' }] },
      a1.token,
    );
    const paid = await api.post(
      `/v1/invoices/${second.body.invoiceId}/payments`,
      { amount: 1499 },
      A.resellerToken,
    );
    expect(paid.body.invoice.status).toBe('paid');
    const active = second.body.serviceIds[0] as string;
    expect(
      await h.deliver('provisioning.service.provisioned.v1', A.tenantId, {
        serviceId: active,
        clientId: a1.id,
        module: 'cpanel',
      }),
    ).toBe('ack');
    Object.assign(ids, {
      active,
      order: order.body.id,
      invoice: order.body.invoiceId,
      service: order.body.serviceIds[0],
      client: a1.id,
      bOrder: bOrder.body.id,
    });
    expect(
      (await api.post(`/v1/credit/${a1.id}`, { amount: 50, currency: 'EUR' }, A.resellerToken)).status,
    ).toBe(201);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  const paths = (id: { order: string; invoice: string; service: string; active: string; client: string }) =>
    [
      ['GET', `/v1/orders/${id.order}`, undefined],
      ['POST', `/v1/orders/${id.order}/cancel`, {}],
      ['GET', `/v1/invoices/${id.invoice}`, undefined],
      ['GET', `/v1/invoices/${id.invoice}/pdf`, undefined],
      ['GET', `/v1/invoices/${id.invoice}/payments`, undefined],
      ['POST', `/v1/invoices/${id.invoice}/payments`, { amount: 1 }],
      ['POST', `/v1/invoices/${id.invoice}/apply-credit`, { amount: 1 }],
      ['POST', `/v1/invoices/${id.invoice}/stripe-payment-intent`, undefined],
      ['POST', `/v1/invoices/${id.invoice}/waive-late-fee`, undefined],
      ['GET', `/v1/invoices/${id.invoice}/credit-notes`, undefined],
      ['POST', `/v1/invoices/${id.invoice}/credit-notes`, { reason: 'x' }],
      ['GET', `/v1/client-services/${id.service}`, undefined],
      ['GET', `/v1/client-services/${id.active}/lifecycle`, undefined],
      ['POST', `/v1/client-services/${id.active}/suspend`, { reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/unsuspend`, { reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/terminate`, { reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/dunning-exemption`, { exempt: true, reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/extend-due-date`, { days: 5, reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/cancel`, { when: 'end_of_period', reason: 'x' }],
      ['POST', `/v1/client-services/${id.active}/cancel`, { when: 'immediate', reason: 'x' }],
      ['GET', `/v1/credit/${id.client}`, undefined],
      ['POST', `/v1/credit/${id.client}`, { amount: 1, currency: 'EUR' }],
      ['POST', `/v1/client-services/${id.active}/change-package`, { productId: ANY_PRODUCT }],
      ['POST', `/v1/client-services/${id.active}/renew`, undefined],
      ['GET', `/v1/client-services/${id.active}/changes`, undefined],
      ['GET', `/v1/billing-settings/clients/${id.client}/tax-profile`, undefined],
      ['PUT', `/v1/billing-settings/clients/${id.client}/tax-profile`, { country: 'ES' }],
      ['GET', `/v1/payment-methods/${id.client}`, undefined],
      [
        'PUT',
        `/v1/payment-methods/${id.client}`,
        { customerId: 'cus_Abcd1234', paymentMethodId: 'pm_Abcd1234' },
      ],
      ['DELETE', `/v1/payment-methods/${id.client}`, undefined],
    ] as const;

  const shape = (r: Res) => ({ status: r.status, code: r.body?.code, detail: r.body?.detail });

  it.each(['resellerB', 'siblingA2', 'clientB1'] as const)(
    "answers %s about another's resources exactly like about random ids",
    async (caller) => {
      const random = { order: newId(), invoice: newId(), service: newId(), active: newId(), client: newId() };
      const real = paths(ids);
      const fake = paths(random);
      for (const [i, [method, path, body]] of real.entries()) {
        const [, fakePath] = fake[i]!;
        const mine = await api.call(method, path, { token: t[caller], ...(body ? { body } : {}) });
        const missing = await api.call(method, fakePath, { token: t[caller], ...(body ? { body } : {}) });
        expect([method, path, shape(mine)]).toEqual([method, path, shape(missing)]);
        expect([method, path, mine.status]).toEqual([method, path, expect.any(Number)]);
        expect([403, 404]).toContain(mine.status);
      }
      // nothing changed
      const order = await api.get(`/v1/orders/${ids.order}`, t.clientA1);
      expect(order.body.status).toBe('pending');
      const invoice = await api.get(`/v1/invoices/${ids.invoice}`, t.clientA1);
      expect(invoice.body.amountPaid).toBe(0);
      const service = await api.get(`/v1/client-services/${ids.active}/lifecycle`, t.clientA1);
      expect(service.body).toMatchObject({
        status: 'active',
        pendingAction: null,
        cancelAt: null,
        dunningExempt: false,
      });
      const [requests] = await h.db.withTenant(allTenants, (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from outbox where type like 'billing.service.%' and type <> 'billing.service.provision_requested.v1'`,
        ),
      );
      expect(requests!.n).toBe(0);
      const [renewals] = await h.db.transaction((tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from service_renewals`),
      );
      expect(renewals!.n).toBe(0);
      expect((await api.get(`/v1/credit/${ids.client}`, t.clientA1)).body.balances).toEqual([
        { currency: 'EUR', amount: 50 },
      ]);
    },
  );

  it("never lets a reseller read or change another tenant's settings or Stripe account by naming it", async () => {
    const A = (await api.get(`/v1/orders/${ids.order}`, t.clientA1)).body.tenantId as string;
    const before = (await api.get('/v1/billing-settings', t.resellerA)).body;
    const patched = await api.patch(`/v1/billing-settings?tenantId=${A}`, { taxRateBps: 9999 }, t.resellerB);
    expect(patched.body.tenantId).not.toBe(A);
    expect((await api.get(`/v1/billing-settings?tenantId=${A}`, t.resellerB)).body.tenantId).not.toBe(A);
    expect((await api.get('/v1/billing-settings', t.resellerA)).body).toEqual(before);
    const lifecycle = (await api.get('/v1/billing-settings/lifecycle', t.resellerA)).body;
    const hijack = await api.patch(
      `/v1/billing-settings/lifecycle?tenantId=${A}`,
      { suspendAfterDays: 0, lateFee: { kind: 'percent', bps: 10_000, afterDays: 0 } },
      t.resellerB,
    );
    expect(hijack.body.tenantId).not.toBe(A);
    expect(
      (await api.get(`/v1/billing-settings/lifecycle?tenantId=${A}`, t.resellerB)).body.tenantId,
    ).not.toBe(A);
    expect((await api.get('/v1/billing-settings/lifecycle', t.resellerA)).body).toEqual(lifecycle);
    const stripe = await api.put(
      `/v1/payment-gateways/stripe?tenantId=${A}`,
      { secretKey: 'sk_test_51Hijacker000000000000', webhookSecret: 'whsec_Hijacker00000000' },
      t.resellerB,
    );
    expect(stripe.body.tenantId).not.toBe(A);
    expect((await api.get('/v1/payment-gateways/stripe', t.resellerA)).body.configured).toBe(false);
    const period = 'from=2000-01-01&to=2100-01-01';
    const mine = await api.get(`/v1/billing-reports/summary?${period}`, t.resellerA);
    expect(mine.body.currencies).toEqual([
      expect.objectContaining({ currency: 'EUR', collected: 1499, mrr: 999 }),
    ]);
    const named = await api.get(`/v1/billing-reports/summary?${period}&tenantId=${A}`, t.resellerB);
    expect(named.body.tenantId).not.toBe(A);
    // B's own figures (its client's unpaid order), none of A's money
    expect(named.body.currencies).toEqual([expect.objectContaining({ collected: 0, mrr: 0 })]);
  });

  it('lets the owner, its reseller and the admin see it', async () => {
    for (const who of ['clientA1', 'resellerA', 'admin'] as const) {
      expect([who, (await api.get(`/v1/orders/${ids.order}`, t[who])).status]).toEqual([who, 200]);
      expect([who, (await api.get(`/v1/invoices/${ids.invoice}`, t[who])).status]).toEqual([who, 200]);
      expect([who, (await api.get(`/v1/client-services/${ids.service}`, t[who])).status]).toEqual([who, 200]);
    }
  });

  it.each(['/v1/orders', '/v1/invoices', '/v1/client-services'])(
    'lists only the caller’s rows: %s',
    async (path) => {
      const items = async (token: string, query = '') =>
        (await api.get(`${path}${query}`, token)).body.items as {
          id: string;
          tenantId: string;
          clientId: string;
        }[];
      const a1 = await items(t.clientA1);
      expect(a1.length).toBeGreaterThan(0);
      const [A, B] = [a1[0]!.tenantId, (await api.get(`/v1/orders/${ids.bOrder}`, t.clientB1)).body.tenantId];
      expect(a1.every((x) => x.clientId === ids.client)).toBe(true);
      expect((await items(t.siblingA2)).filter((x) => x.clientId === ids.client)).toEqual([]);
      expect((await items(t.clientB1)).every((x) => x.tenantId === B)).toBe(true);
      expect((await items(t.resellerB)).every((x) => x.tenantId === B)).toBe(true);
      // a reseller naming another tenant still sees only its own; an admin narrowing sees only that one
      const narrowed = await items(t.resellerA, `?tenantId=${B}`);
      expect(narrowed.map((x) => x.id)).toEqual(expect.arrayContaining(a1.map((x) => x.id)));
      expect(narrowed.every((x) => x.tenantId === A)).toBe(true);
      const adminB = await items(t.admin, `?tenantId=${B}`);
      expect(adminB.length).toBeGreaterThan(0);
      expect(adminB.every((x) => x.tenantId === B)).toBe(true);
      expect((await items(t.admin)).map((x) => x.id)).toEqual(expect.arrayContaining(a1.map((x) => x.id)));
    },
  );

  it('refuses every route without a token (401); only the signed Stripe webhook is public', async () => {
    const routes = h.billing.built.routes.flatMap((r) => r.list());
    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => r.access === 'public').map((r) => r.path)).toEqual([
      '/v1/callbacks/payments/stripe/:tenantId',
    ]);
    for (const r of routes.filter((x) => x.access !== 'public')) {
      expect([r.method, r.path, r.access]).toEqual([r.method, r.path, { roles: expect.any(Array) }]);
      const path = r.path.replace(/:[a-zA-Z]+/g, newId());
      const res = await api.call(r.method, path, r.method === 'GET' ? {} : { body: {} });
      expect([r.method, r.path, res.status]).toEqual([r.method, r.path, 401]);
    }
  });

  it('shows no rows of any billing table without a tenant, and forces RLS on all of them', async () => {
    const tables = await h.db.transaction((tx) =>
      rows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        tx,
        sql`select relname, relrowsecurity, relforcerowsecurity from pg_class
            where relkind = 'r' and relnamespace = 'public'::regnamespace and relname not in
              ('schema_migrations', 'outbox', 'inbox', 'scheduler_runs')`,
      ),
    );
    expect(tables.map((x) => x.relname).sort()).toEqual(
      [
        'auto_charge_attempts',
        'billing_settings',
        'client_payment_methods',
        'client_services',
        'clients',
        'credit_entries',
        'credit_notes',
        'domain_registrations',
        'credit_note_refunds',
        'dunning_steps',
        'idempotency_keys',
        'invoice_lines',
        'invoices',
        'number_counters',
        'orders',
        'payments',
        'payment_attempts',
        'payment_gateways',
        'promotion_holds',
        'service_changes',
        'service_renewals',
        'stripe_events',
        'tax_rules',
        'wholesale_charges',
        'wholesale_policy',
        'wholesale_suspensions',
      ].sort(),
    );
    for (const x of tables) {
      expect([x.relname, x.relrowsecurity, x.relforcerowsecurity]).toEqual([x.relname, true, true]);
      const [none] = await h.db.transaction((tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(x.relname)}`),
      );
      expect([x.relname, none!.n]).toEqual([x.relname, 0]);
    }
    const [other] = await h.db.withTenant(tenantScope(newId()), (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from orders`),
    );
    expect(other!.n).toBe(0);
  });

  it('refuses to change or delete a payment or a credit entry (append-only)', async () => {
    const tenantId = (await api.get(`/v1/orders/${ids.order}`, t.clientA1)).body.tenantId as string;
    await expect(
      h.db.withTenant(tenantScope(tenantId), (tx) =>
        tx.execute(sql`update credit_entries set amount = 1000000`),
      ),
    ).rejects.toThrow();
    await expect(
      h.db.withTenant(tenantScope(tenantId), (tx) => tx.execute(sql`delete from credit_entries`)),
    ).rejects.toThrow();
  });
});
