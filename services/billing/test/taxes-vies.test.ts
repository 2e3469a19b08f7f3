import nock from 'nock';
import { newId, rows, tenantScope } from '@geminis/service-kit';
import { z } from 'zod';
import { billingConfigFrom, billingConfigShape } from '../src/config';
import { createTaxesService } from '../src/domain/taxes.service';
import { sql } from 'drizzle-orm';
import {
  client,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

const VIES = 'https://ec.europa.eu';
const CHECK = '/taxation_customs/vies/rest-api/check-vat-number';

/** VIES's REST answer to check-vat-number, as the Commission's API sends it. */
const answer = (countryCode: string, vatNumber: string, valid: boolean) => ({
  countryCode,
  vatNumber,
  requestDate: '2026-11-30T10:00:00.000Z',
  valid,
  requestIdentifier: '',
  name: valid ? 'GOOGLE GERMANY GMBH' : '---',
  address: valid ? 'ABC-STRASSE 19\n20354 HAMBURG' : '---',
  traderName: '---',
  traderStreet: '---',
  traderPostalCode: '---',
  traderCity: '---',
  traderCompanyType: '---',
  traderNameMatch: 'NOT_PROCESSED',
  traderStreetMatch: 'NOT_PROCESSED',
  traderPostalCodeMatch: 'NOT_PROCESSED',
  traderCityMatch: 'NOT_PROCESSED',
  traderCompanyTypeMatch: 'NOT_PROCESSED',
});

/**
 * The live VIES check of a client's VAT id: a pluggable call (BILLING_VIES_URL; off by default) through the
 * kit's client with a breaker. VIES saying "not valid" refuses the id (422 naming vatId); VIES down never
 * blocks the profile (saved, viesChecked false). nock replays the Commission's REST API.
 */
describe('VIES check of VAT ids', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)/);
    h = await startBilling({ viesUrl: `${VIES}${CHECK}`, viesTimeoutMs: 500 });
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    nock.restore();
    await h?.stop();
  }, 30_000);

  const put = (hh: Harness, s: Shop, clientId: string, body: object, token = s.resellerToken) =>
    client(hh.url).put(`/v1/billing-settings/clients/${clientId}/tax-profile`, body, token);
  const stored = async (hh: Harness, s: Shop, clientId: string) => {
    const [r] = await hh.db.withTenant(tenantScope(s.tenantId), (tx) =>
      rows<{ vat_id: string | null; vies_checked: boolean }>(
        tx,
        sql`select vat_id, vies_checked from clients where id = ${clientId}`,
      ),
    );
    return r;
  };

  it('a VAT id VIES confirms: saved with viesChecked true (the POST carries country code and number)', async () => {
    const c = await newClient(h, shop.tenantId);
    const bodies: unknown[] = [];
    const scope = nock(VIES)
      .post(CHECK, (b) => {
        bodies.push(b);
        return true;
      })
      .reply(200, answer('DE', '136695976', true));
    const res = await put(h, shop, c.id, { country: 'DE', vatId: 'DE 136 695 976' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ vatId: 'DE136695976', viesChecked: true });
    expect(scope.isDone()).toBe(true);
    expect(bodies).toEqual([{ countryCode: 'DE', vatNumber: '136695976' }]);
    expect(await stored(h, shop, c.id)).toEqual({ vat_id: 'DE136695976', vies_checked: true });
  });

  it('a VAT id VIES does not know: 422 naming vatId, nothing written', async () => {
    const c = await newClient(h, shop.tenantId);
    nock(VIES)
      .post(CHECK)
      .reply(200, answer('DE', '136695976', false));
    const res = await put(h, shop, c.id, { country: 'DE', vatId: 'DE136695976' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('vatId');
    expect(await stored(h, shop, c.id)).toEqual({ vat_id: null, vies_checked: false });
  });

  it('VIES down (5xx, a member state unavailable, the connection lost): the profile is saved, viesChecked false', async () => {
    const c = await newClient(h, shop.tenantId);
    nock(VIES).post(CHECK).times(2).reply(503, 'Service Unavailable');
    const down = await put(h, shop, c.id, { country: 'DE', vatId: 'DE136695976' });
    expect(down.status).toBe(200);
    expect(down.body).toMatchObject({ vatId: 'DE136695976', viesChecked: false });
    nock(VIES)
      .post(CHECK)
      .reply(200, { actionSucceed: false, errorWrappers: [{ error: 'MS_UNAVAILABLE' }] });
    const ms = await put(h, shop, c.id, { country: 'DE', vatId: 'DE136695976' });
    expect(ms.body).toMatchObject({ viesChecked: false });
    nock(VIES).post(CHECK).times(2).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    const reset = await put(h, shop, c.id, { country: 'DE', vatId: 'DE136695976' });
    expect([reset.status, reset.body.viesChecked]).toEqual([200, false]);
    expect(await stored(h, shop, c.id)).toEqual({ vat_id: 'DE136695976', vies_checked: false });
  });

  it('the format check still applies first: a bad id is a 400 naming vatId and VIES is not asked', async () => {
    const c = await newClient(h, shop.tenantId);
    const scope = nock(VIES)
      .post(CHECK)
      .reply(200, answer('DE', '1', true));
    const res = await put(h, shop, c.id, { country: 'DE', vatId: 'DE1' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('vatId');
    expect(scope.isDone()).toBe(false);
  });

  it('off by default (no BILLING_VIES_URL): nothing is asked, viesChecked false', async () => {
    const env = z.object(billingConfigShape).parse({ BILLING_ENCRYPTION_KEY: 'k'.repeat(32) });
    const config = billingConfigFrom(env, { INTERNAL_SERVICE_KEY: 'x'.repeat(32) });
    expect(config.viesUrl).toBeUndefined();
    const on = billingConfigFrom(
      z
        .object(billingConfigShape)
        .parse({ BILLING_ENCRYPTION_KEY: 'k'.repeat(32), BILLING_VIES_URL: `${VIES}${CHECK}` }),
      {},
    );
    expect(on.viesUrl).toBe(`${VIES}${CHECK}`);
    // the service as billing wires it without the URL (no checker)
    const taxes = createTaxesService({ db: h.db, vies: null });
    const c = await newClient(h, shop.tenantId);
    const scope = nock(VIES)
      .post(CHECK)
      .reply(200, answer('DE', '136695976', true));
    const auth = {
      userId: newId(),
      role: 'reseller' as const,
      tenantId: shop.tenantId,
      tokenId: newId(),
      issuedAt: 0,
    };
    const saved = await taxes.saveProfile(auth, c.id, {
      country: 'DE',
      region: null,
      vatId: 'DE136695976',
      taxExempt: false,
    });
    expect(saved.viesChecked).toBe(false);
    expect(scope.isDone()).toBe(false);
    expect(await stored(h, shop, c.id)).toEqual({ vat_id: 'DE136695976', vies_checked: false });
  });

  it('another tenant cannot read or change the profile: the 404 of a missing client', async () => {
    const other = await openShop(h);
    const c = await newClient(h, shop.tenantId);
    const theirs = await put(h, other, c.id, { country: 'DE', vatId: null });
    const random = await put(h, other, '0193a1b2-0000-7000-8000-00000000dead', {
      country: 'DE',
      vatId: null,
    });
    expect([theirs.status, theirs.body.code]).toEqual([404, random.body.code]);
    const read = await api.get(`/v1/billing-settings/clients/${c.id}/tax-profile`, other.resellerToken);
    expect(read.status).toBe(404);
  });
  // last: the outages of the test above (5xx, lost connections) opened the breaker, for a minute
  it('after those outages the breaker is open: profiles are saved at once, VIES not asked', async () => {
    const c = await newClient(h, shop.tenantId);
    let calls = 0;
    nock(VIES)
      .post(CHECK)
      .times(10)
      .reply(() => {
        calls += 1;
        return [200, answer('DE', '136695976', true)];
      });
    for (let i = 0; i < 3; i += 1) {
      const res = await put(h, shop, c.id, { country: 'DE', vatId: 'DE136695976' });
      expect([res.status, res.body.viesChecked]).toEqual([200, false]);
    }
    expect(calls).toBe(0);
  });
});
