import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { rateOf } from '../src/domain/money';
import { saveTaxProfile, taxFor } from '../src/store/taxes.store';
import { client, countRows, newClient, type Client, type Harness, type Shop } from './support/billing';
import { activeService, jobsOf, openShop, startLifecycle, testClock } from './support/lifecycle';
import { pdfText } from './support/pdf';

const RULES = [
  { country: 'ES', name: 'IVA', rateBps: 2100 },
  { country: 'US', name: 'Sales tax', rateBps: 0 },
  { country: 'US', region: 'CA', name: 'CA sales tax', rateBps: 725 },
  { country: 'DE', name: 'MwSt', rateBps: 1900 },
];

/** Taxes by the client's country: the tenant's rules, reverse charge, exemption; half-up per line. */
describe('taxes by country', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    shop = await openShop(h);
    // a Portuguese seller: 23% VAT by default (clients without a country, and countries without a rule)
    const s = await api.patch(
      '/v1/billing-settings',
      { taxName: 'IVA', taxRateBps: 2300, taxCountry: 'PT' },
      shop.resellerToken,
    );
    expect(s.status).toBe(200);
    const r = await api.put('/v1/billing-settings/tax-rules', { rules: RULES }, shop.resellerToken);
    expect(r.status).toBe(200);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  /** A client of the shop with a tax profile (through the API), in a currency. */
  async function clientIn(profile: object | null, currency = 'EUR') {
    const c = await newClient(h, shop.tenantId, currency);
    if (profile) {
      const res = await api.put(
        `/v1/billing-settings/clients/${c.id}/tax-profile`,
        profile,
        shop.resellerToken,
      );
      expect(res.status).toBe(200);
    }
    return c;
  }

  /** The first invoice of a client's order of Starter monthly. */
  async function ordered(c: { token: string }) {
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    expect(order.status).toBe(201);
    return (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body;
  }

  it('keeps the tenant’s rules by country and region', async () => {
    const res = await api.get('/v1/billing-settings/tax-rules', shop.resellerToken);
    expect(res.body.rules).toEqual([
      { country: 'DE', region: '', name: 'MwSt', rateBps: 1900 },
      { country: 'ES', region: '', name: 'IVA', rateBps: 2100 },
      { country: 'US', region: '', name: 'Sales tax', rateBps: 0 },
      { country: 'US', region: 'CA', name: 'CA sales tax', rateBps: 725 },
    ]);
  });

  it.each([
    // [what, profile, currency, rate, tax of the one line (999 + 500 setup, or JPY 1499, KWD 3335)]
    ['no country: the tenant’s default', null, 'EUR', 2300, 345], // 1499 × 23% = 344.77
    ['Spain: its rule', { country: 'ES' }, 'EUR', 2100, 315], // 314.79
    ['California: the region’s rule', { country: 'US', region: 'CA' }, 'JPY', 725, 109], // 108.6775
    ['New York: the country’s rule', { country: 'US', region: 'NY' }, 'EUR', 0, 0],
    ['Japan: no rule, the default', { country: 'JP' }, 'KWD', 2300, 767], // 3335 × 23% = 767.05
    ['Spain in KWD', { country: 'ES' }, 'KWD', 2100, 700], // 700.35
    [
      'a Portuguese business: same country, no reverse charge',
      { country: 'PT', vatId: 'PT501964843' },
      'EUR',
      2300,
      345,
    ],
  ] as const)('%s', async (_what, profile, currency, rate, tax) => {
    const invoice = await ordered(await clientIn(profile, currency));
    expect(invoice).toMatchObject({ taxRateBps: rate, taxTotal: tax, taxNote: null });
    expect(invoice.lines[0].tax).toBe(tax);
    expect(invoice.total).toBe(invoice.subtotal + tax);
  });

  it('reverse-charges a business with a VAT id in another EU country: 0% with the note, also on the PDF', async () => {
    const c = await clientIn({ country: 'DE', vatId: 'de 136.695.976' });
    const invoice = await ordered(c);
    expect(invoice).toMatchObject({ taxRateBps: 0, taxTotal: 0, total: 1499 });
    expect(invoice.taxNote).toContain('Reverse charge');
    expect(invoice.taxNote).toContain('DE136695976');
    const pdf = await fetch(`${h.url}/v1/invoices/${invoice.id}/pdf`, {
      headers: { authorization: `Bearer ${c.token}` },
    });
    const text = pdfText(Buffer.from(await pdf.arrayBuffer())).join(' ');
    expect(text).toContain('Reverse charge');
    expect(text).toContain('VAT ID: DE136695976');
  });

  it('charges a German consumer (no VAT id) Germany’s rate', async () => {
    const invoice = await ordered(await clientIn({ country: 'DE' }));
    expect(invoice).toMatchObject({ taxRateBps: 1900, taxTotal: 285, taxNote: null }); // 284.81
  });

  it('charges an exempt client no tax, with the note', async () => {
    const invoice = await ordered(await clientIn({ country: 'ES', taxExempt: true }));
    expect(invoice).toMatchObject({ taxRateBps: 0, taxTotal: 0, taxNote: 'Tax exempt' });
  });

  it('taxes a renewal by the client’s country as it is then (the set-based run)', async () => {
    const s = await activeService(h, shop); // ordered without a profile: 23%
    const profile = await api.put(
      `/v1/billing-settings/clients/${s.client.id}/tax-profile`,
      { country: 'ES' },
      shop.resellerToken,
    );
    expect(profile.status).toBe(200);
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    const renewal = ((await api.get('/v1/invoices', s.client.token)).body.items as any[]).find(
      (i) => i.reason === 'renewal',
    );
    // 999 × 21% = 209.79 → 210
    expect(renewal).toMatchObject({
      taxName: 'IVA',
      taxRateBps: 2100,
      taxTotal: 210,
      total: 1209,
      taxNote: null,
    });

    clock.set('2026-03-01');
    const french = await activeService(h, shop);
    await api.put(
      `/v1/billing-settings/clients/${french.client.id}/tax-profile`,
      { country: 'FR', vatId: 'FR40303265045' },
      shop.resellerToken,
    );
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    const reversed = ((await api.get('/v1/invoices', french.client.token)).body.items as any[]).find(
      (i) => i.reason === 'renewal',
    );
    expect(reversed).toMatchObject({ taxRateBps: 0, taxTotal: 0, total: 999 });
    expect(reversed.taxNote).toContain('FR40303265045');
  });

  it('takes the tax out of a renewal’s price when the tenant’s prices include tax (the set-based run)', async () => {
    const inclusive = await openShop(h);
    const set = await api.patch(
      '/v1/billing-settings',
      { taxName: 'VAT', taxRateBps: 2100, taxInclusive: true },
      inclusive.resellerToken,
    );
    expect(set.status).toBe(200);
    const s = await activeService(h, inclusive);
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    const renewal = ((await api.get('/v1/invoices', s.client.token)).body.items as any[]).find(
      (i) => i.reason === 'renewal',
    );
    // 999 includes 21%: tax = 999 × 2100 / 12100 = 173.38 → 173, the rest (826) is the line's amount
    expect(renewal).toMatchObject({ taxRateBps: 2100, subtotal: 826, taxTotal: 173, total: 999 });
    const lines = await h.db.withTenant(tenantScope(inclusive.tenantId), (tx) =>
      rows<{ amount: string; tax: string; total: string }>(
        tx,
        sql`select amount, tax, total from invoice_lines where invoice_id = ${renewal.id}`,
      ),
    );
    expect(lines.map((l) => [Number(l.amount), Number(l.tax), Number(l.total)])).toEqual([[826, 173, 999]]);
  });

  it('refuses bad rules and profiles naming the field, writing nothing', async () => {
    const c = await newClient(h, shop.tenantId);
    const rules: [object, string][] = [
      [{ rules: [{ country: 'Spain', name: 'IVA', rateBps: 2100 }] }, 'rules.0.country'],
      [{ rules: [{ country: 'ES', name: 'IVA', rateBps: 10_001 }] }, 'rules.0.rateBps'],
      [{ rules: [{ country: 'ES', name: 'IVA', rateBps: 21.5 }] }, 'rules.0.rateBps'],
      [{ rules: [{ country: 'ES', name: '', rateBps: 2100 }] }, 'rules.0.name'],
      [{ rules: [{ country: 'US', region: 'california', name: 'x', rateBps: 1 }] }, 'rules.0.region'],
      [
        {
          rules: [
            { country: 'ES', name: 'IVA', rateBps: 2100 },
            { country: 'ES', name: 'IVA', rateBps: 1000 },
          ],
        },
        'rules.1.region',
      ],
    ];
    for (const [body, field] of rules) {
      const res = await api.put('/v1/billing-settings/tax-rules', body, shop.resellerToken);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await countRows(h, 'tax_rules', shop.tenantId)).toBe(RULES.length);
    const profiles: [object, string][] = [
      [{ country: 'DE', vatId: 'DE123' }, 'vatId'], // too short for Germany's format
      [{ country: 'DE', vatId: 'DE136695977' }, 'vatId'], // wrong check digit
      [{ country: 'DE', vatId: 'FR40303265045' }, 'vatId'], // another country's id
      [{ country: null, vatId: 'DE136695976' }, 'vatId'],
      [{ country: null, region: 'CA' }, 'region'],
      [{ country: 'deu' }, 'country'],
      [{ country: 'ES', taxExempt: 'yes' }, 'taxExempt'],
    ];
    for (const [body, field] of profiles) {
      const res = await api.put(`/v1/billing-settings/clients/${c.id}/tax-profile`, body, shop.resellerToken);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const profile = await api.get(`/v1/billing-settings/clients/${c.id}/tax-profile`, shop.resellerToken);
    expect(profile.body).toEqual({
      clientId: c.id,
      country: null,
      region: null,
      vatId: null,
      taxExempt: false,
      viesChecked: false,
    });
  });

  it('keeps rules and profiles to the tenant’s staff: another tenant gets the 404 of a missing client', async () => {
    const c = await clientIn({ country: 'ES' });
    const other = await openShop(h);
    const missing = await api.get(`/v1/billing-settings/clients/${newId()}/tax-profile`, other.resellerToken);
    expect(missing.status).toBe(404);
    for (const res of [
      await api.get(`/v1/billing-settings/clients/${c.id}/tax-profile`, other.resellerToken),
      await api.put(
        `/v1/billing-settings/clients/${c.id}/tax-profile`,
        { country: 'PT' },
        other.resellerToken,
      ),
    ])
      expect([res.status, res.body.code]).toEqual([404, missing.body.code]);
    expect(
      (await api.get(`/v1/billing-settings/clients/${c.id}/tax-profile`, shop.resellerToken)).body.country,
    ).toBe('ES');
    // the other tenant's rules are its own (none), and a client cannot read or set any
    expect((await api.get('/v1/billing-settings/tax-rules', other.resellerToken)).body.rules).toEqual([]);
    expect((await api.get('/v1/billing-settings/tax-rules', c.token)).status).toBe(403);
    expect(
      (await api.put(`/v1/billing-settings/clients/${c.id}/tax-profile`, { country: 'PT' }, c.token)).status,
    ).toBe(403);
  });

  it('agrees with an oracle: the rule the profile picks, and round(amount × rate) in numeric per line', async () => {
    const scope = tenantScope(shop.tenantId);
    const c = await newClient(h, shop.tenantId);
    const EU = new Set(['PT', 'ES', 'DE', 'FR']);
    /** The rules as the tenant wrote them, applied by hand: exemption, reverse charge, region, country, default. */
    const oracle = (p: {
      country: string | null;
      region: string | null;
      vatId: string | null;
      taxExempt: boolean;
    }) => {
      const reverse = p.vatId !== null && p.country !== null && p.country !== 'PT' && EU.has(p.country);
      if (p.taxExempt || reverse) return { rate: 0, note: true };
      const rule =
        RULES.find((r) => r.country === p.country && r.region !== undefined && r.region === p.region) ??
        RULES.find((r) => r.country === p.country && r.region === undefined);
      return { rate: rule ? rule.rateBps : 2300, note: false };
    };
    const VAT: Record<string, string> = {
      PT: 'PT501964843',
      ES: 'ESA12345674',
      DE: 'DE136695976',
      FR: 'FR40303265045',
      US: 'US123',
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(null, 'PT', 'ES', 'DE', 'FR', 'US', 'JP'),
        fc.constantFrom(null, 'CA', 'NY'),
        fc.boolean(),
        fc.boolean(),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 5 }),
        async (country, region, business, taxExempt, amounts) => {
          const p = {
            clientId: c.id,
            country,
            region: country ? region : null,
            vatId: country && business ? (VAT[country] ?? null) : null,
            taxExempt,
            viesChecked: false,
          };
          const expected = oracle(p);
          await h.db.withTenant(scope, async (tx) => {
            await saveTaxProfile(tx, scope, p);
            const tax = await taxFor(tx, shop.tenantId, c.id);
            expect({ rate: tax.rateBps, note: tax.note !== null }).toEqual(expected);
            for (const amount of amounts) {
              const [o] = await rows<{ tax: string }>(
                tx,
                sql`select round(${amount.toString()}::numeric * ${tax.rateBps} / 10000)::text as tax`,
              );
              expect(rateOf(amount, tax.rateBps).toString()).toBe(o!.tax);
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
