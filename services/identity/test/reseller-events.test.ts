import { eventRegistry } from '@geminis/contracts';
import { rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { buildWorld, client, startIdentity, type Client, type Harness, type World } from './support/identity';

/**
 * identity.reseller.created/updated.v1 carry the reseller's contact address (its owner's login), so billing
 * can address the platform's wholesale invoices and support can mail them.
 */
describe('the reseller events', () => {
  let h: Harness;
  let api: Client;
  let w: World;

  beforeAll(async () => {
    h = await startIdentity({});
    api = client(h.url);
    w = await buildWorld(h, api);
  }, 60_000);
  afterAll(() => h.stop());

  const events = async (type: string, tenantId: string) =>
    (
      await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ envelope: any }>(
          tx,
          sql`select envelope from outbox where type = ${type} and tenant_id = ${tenantId}
              order by created_at, id`,
        ),
      )
    ).map((r) => r.envelope);

  it('names the owner’s address as the reseller’s contact when the reseller is created', async () => {
    const [created] = await events('identity.reseller.created.v1', w.tenantB);
    expect(created.data).toMatchObject({
      resellerId: w.tenantB,
      brandName: 'Bravo Hosting',
      contactEmail: 'owner@bravo.example',
    });
    expect(eventRegistry.parse(created).ok).toBe(true);
  });

  it('keeps naming it on every later profile or status change', async () => {
    expect((await api.patch('/v1/me/reseller', { brandName: 'Bravo Web' }, w.resellerB.token)).status).toBe(
      200,
    );
    const suspended = await api.post(
      `/v1/resellers/${w.tenantB}/suspend`,
      { reason: 'audit' },
      w.admin.token,
    );
    expect(suspended.status).toBe(200);
    expect((await api.post(`/v1/resellers/${w.tenantB}/activate`, {}, w.admin.token)).status).toBe(200);
    const updated = await events('identity.reseller.updated.v1', w.tenantB);
    expect(updated.length).toBeGreaterThanOrEqual(2);
    for (const e of updated) {
      expect(e.data.contactEmail).toBe('owner@bravo.example');
      expect(eventRegistry.parse(e).ok).toBe(true);
    }
    expect(updated.map((e) => e.data.brandName)).toContain('Bravo Web');
  });

  it('is also accepted without the address (events of an older identity)', () => {
    const [created] = [
      {
        id: '0193a1b2-c3d4-7e5f-8a6b-000000000003',
        type: 'identity.reseller.created.v1',
        source: 'identity',
        time: '2026-11-25T10:00:00.000Z',
        tenantId: w.tenantB,
        correlationId: '0193a1b2-c3d4-7e5f-8a6b-000000000003',
        data: {
          resellerId: w.tenantB,
          slug: 'bravo',
          brandName: 'Bravo',
          customDomains: [],
          allowCustomProducts: false,
          status: 'active',
        },
      },
    ];
    expect(eventRegistry.parse(created).ok).toBe(true);
    const bad = eventRegistry.parse({ ...created, data: { ...created.data, contactEmail: 'nope' } });
    expect(bad.ok).toBe(false);
  });
});
