import { newId } from '@geminis/service-kit';
import { formatMinor } from '../src/domain/money';
import {
  client,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';
import { pdfText } from './support/pdf';

/** GET /v1/invoices/:id/pdf: the invoice as a PDF in its tenant's brand, for whoever may read it. */
describe('invoice PDF', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
    const s = await api.patch(
      '/v1/billing-settings',
      {
        taxName: 'VAT',
        taxRateBps: 2300,
        sellerName: 'Acme Hosting Lda',
        sellerAddress: 'Rua Augusta 1, 1100-048 Lisboa',
        sellerTaxId: 'PT501964843',
        brandColor: '#AA3300',
      },
      shop.resellerToken,
    );
    expect(s.status).toBe(200);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** A client's order of Starter monthly in a currency: its unpaid first invoice. */
  async function invoiceOf(currency = 'EUR') {
    const c = await newClient(h, shop.tenantId, currency);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    expect(order.status).toBe(201);
    const invoice = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body;
    const pdf = async (token = c.token, query = '') => {
      const res = await fetch(`${h.url}/v1/invoices/${invoice.id}/pdf${query}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const bytes = Buffer.from(await res.arrayBuffer());
      return { res, bytes, text: res.status === 200 ? pdfText(bytes).join('\n') : bytes.toString() };
    };
    return { c, invoice, pdf };
  }

  it('prints the number, dates, lines, tax, total and status in the tenant’s brand', async () => {
    const { invoice, pdf } = await invoiceOf('EUR');
    const { res, bytes, text } = await pdf();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toContain(`${invoice.number}.pdf`);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // 999 + setup 500 = 1499; VAT 23% = 344.77 → 345 (half-up on the line); total 1844
    expect(invoice.total).toBe(1844);
    for (const printed of [
      'Acme Hosting Lda',
      'Rua Augusta 1, 1100-048 Lisboa',
      'Tax ID: PT501964843',
      invoice.number,
      invoice.issuedAt.slice(0, 10),
      invoice.dueDate,
      'Starter',
      '9.99 EUR', // the unit price
      'setup 5.00 EUR',
      'VAT (23%)',
      '3.45 EUR',
      '18.44 EUR',
      'UNPAID',
    ])
      expect(text).toContain(printed);
    expect(text).not.toMatch(/^PAID$/m);
  });

  it('says PAID once the invoice is paid', async () => {
    const { invoice, pdf } = await invoiceOf('EUR');
    const paid = await api.post(`/v1/invoices/${invoice.id}/payments`, { amount: 1844 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    const { text } = await pdf();
    expect(text).toMatch(/^PAID$/m);
    expect(text).not.toContain('UNPAID');
    expect(text).toContain('0.00 EUR'); // nothing left to pay
  });

  it('formats integer minor units with the currency’s exponent (JPY 0, KWD 3 decimals)', async () => {
    const jpy = await invoiceOf('JPY');
    // ¥1,499 + 23% = 344.77 → 345 → ¥1,844
    expect((await jpy.pdf()).text).toContain('1,844 JPY');
    const kwd = await invoiceOf('KWD');
    // 3.335 KD + 23% = 0.76705 → 0.767 → 4.102 KD
    const text = (await kwd.pdf()).text;
    expect(text).toContain('3.335 KWD');
    expect(text).toContain('4.102 KWD');
    expect(formatMinor(123456789n, 'EUR')).toBe('1,234,567.89 EUR');
    expect(formatMinor(5n, 'EUR')).toBe('0.05 EUR');
    expect(formatMinor(7n, 'KWD')).toBe('0.007 KWD');
    expect(formatMinor(1000000n, 'JPY')).toBe('1,000,000 JPY');
  });

  it('is the tenant’s staff’s too, and the admin’s when it names the tenant', async () => {
    const { pdf } = await invoiceOf('EUR');
    expect((await pdf(shop.resellerToken)).res.status).toBe(200);
    const admin = h.issuer.tokenFor('admin', '00000000-0000-0000-0000-000000000000');
    expect((await pdf(admin, `?tenantId=${shop.tenantId}`)).res.status).toBe(200);
  });

  it('renders a credit note of the invoice in the same brand; others get the 404 of a missing one', async () => {
    const { c, invoice } = await invoiceOf('EUR');
    await api.post(`/v1/invoices/${invoice.id}/payments`, { amount: 1844 }, shop.resellerToken);
    const note = await api.post(
      `/v1/invoices/${invoice.id}/credit-notes`,
      { amount: 500, reason: 'Downtime on 3 March' },
      shop.resellerToken,
    );
    expect(note.status).toBe(201);
    const noteId = note.body.creditNote.id as string;
    const get = (token: string, id = noteId, invoiceId = invoice.id as string) =>
      fetch(`${h.url}/v1/invoices/${invoiceId}/credit-notes/${id}/pdf`, {
        headers: { authorization: `Bearer ${token}` },
      });
    const res = await get(c.token);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = pdfText(bytes).join('\n');
    for (const printed of [
      'Acme Hosting Lda',
      'CREDIT NOTE',
      invoice.number,
      'Downtime on 3 March',
      'Total credited 5.00 EUR',
    ])
      expect(text).toContain(printed);
    const missing = await get(c.token, newId());
    expect(missing.status).toBe(404);
    const code = ((await missing.json()) as { code: string }).code;
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const sibling = await newClient(h, shop.tenantId);
    for (const token of [stranger.token, sibling.token, other.resellerToken]) {
      const r = await get(token);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { code: string }).code).toBe(
        ((await (await get(token, newId(), newId())).json()) as { code: string }).code,
      );
    }
    // a credit note of another invoice is not this invoice's
    const { invoice: another } = await invoiceOf('EUR');
    expect((await get(shop.resellerToken, noteId, another.id)).status).toBe(404);
    expect(code).toBe('billing.credit_note_not_found');
  });

  it('refuses a bad brand in the settings naming the field, changing nothing', async () => {
    const before = (await api.get('/v1/billing-settings', shop.resellerToken)).body;
    for (const [body, field] of [
      [{ brandColor: 'red' }, 'brandColor'],
      [{ taxCountry: 'Portugal' }, 'taxCountry'],
      [{ sellerName: '' }, 'sellerName'],
      [{ sellerTaxId: 'x'.repeat(41) }, 'sellerTaxId'],
    ] as const) {
      const res = await api.patch('/v1/billing-settings', body, shop.resellerToken);
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await api.get('/v1/billing-settings', shop.resellerToken)).body).toEqual(before);
    expect(before).toMatchObject({ sellerName: 'Acme Hosting Lda', brandColor: '#aa3300' });
  });

  it('answers another tenant, a sibling client and a missing id with the same 404; no token with 401', async () => {
    const { invoice, pdf } = await invoiceOf('EUR');
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const sibling = await newClient(h, shop.tenantId);
    const missing = await fetch(`${h.url}/v1/invoices/${newId()}/pdf`, {
      headers: { authorization: `Bearer ${sibling.token}` },
    });
    expect(missing.status).toBe(404);
    const code = ((await missing.json()) as { code: string }).code;
    for (const token of [stranger.token, sibling.token, other.resellerToken]) {
      const { res, text } = await pdf(token);
      expect([res.status, JSON.parse(text).code]).toEqual([404, code]);
      expect(text).not.toContain(invoice.number);
    }
    const bad = await fetch(`${h.url}/v1/invoices/not-an-id/pdf`, {
      headers: { authorization: `Bearer ${sibling.token}` },
    });
    expect(bad.status).toBe(404);
    expect((await fetch(`${h.url}/v1/invoices/${invoice.id}/pdf`)).status).toBe(401);
  });
});
