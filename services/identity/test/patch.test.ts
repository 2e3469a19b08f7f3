import type { z } from 'zod';
import { buildWorld, client, startIdentity, type Client, type Harness, type World } from './support/identity';

/**
 * PATCH changes what it names and nothing else (issue 12: a patch schema with defaults reset what it did
 * not name). Generated over every PATCH route identity serves and every field its body declares: each
 * field is patched alone and everything else read back must be as it was.
 */
describe('identity PATCH routes', () => {
  let h: Harness;
  let api: Client;
  let w: World;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    w = await buildWorld(h, api);
  }, 60_000);
  afterAll(() => h.stop());

  /**
   * Two values per field: the test sets every field to the first, then patches each to the second alone.
   * The first values are not the schemas' defaults, so a patch that resets a field to its default shows.
   */
  const samples: Record<string, [unknown, unknown]> = {
    name: ['Name A', 'Name B'],
    language: ['pt-BR', 'de'],
    currency: ['USD', 'GBP'],
    email: ['patch-a@example.com', 'patch-b@example.com'],
    brandName: ['Brand A', 'Brand B'],
    logoUrl: ['https://cdn.example/a.png', null],
    supportEmail: ['help-a@example.com', null],
    customDomains: [['patch-a.example'], ['patch-b.example', 'patch-c.example']],
    allowCustomProducts: [true, false],
  };

  /** Where each PATCH route's resource is read back, and as whom. */
  const targets = (): Record<string, { path: string; token: string }> => ({
    'PATCH /v1/me': { path: '/v1/me', token: w.clientA2.token },
    'PATCH /v1/me/reseller': { path: '/v1/me/reseller', token: w.resellerB.token },
    'PATCH /v1/clients/:id': { path: `/v1/clients/${w.clientB1.id}`, token: w.resellerB.token },
    'PATCH /v1/resellers/:id': { path: `/v1/resellers/${w.tenantA}`, token: w.admin.token },
  });

  const patchRoutes = () =>
    h.running.built.routes.flatMap((r) => r.list()).filter((r) => r.method === 'PATCH');

  it('knows where to read back every PATCH route it serves, and a sample for every field', () => {
    const routes = patchRoutes();
    expect(routes.map((r) => `${r.method} ${r.path}`).sort()).toEqual(Object.keys(targets()).sort());
    for (const r of routes) {
      const fields = Object.keys((r.body as z.ZodObject).shape);
      expect(fields.filter((f) => !(f in samples))).toEqual([]);
    }
  });

  it('changes only the field a PATCH names, one field at a time, on every PATCH route', async () => {
    const all = targets();
    const changed: string[] = [];
    for (const route of patchRoutes()) {
      const name = `${route.method} ${route.path}`;
      const { path, token } = all[name]!;
      const fields = Object.keys((route.body as z.ZodObject).shape);
      const base = Object.fromEntries(fields.map((f) => [f, samples[f]![0]]));
      const reset = await api.patch(path, base, token);
      expect([name, reset.status]).toEqual([name, 200]);
      for (const field of fields) {
        const before = (await api.get(path, token)).body as Record<string, unknown>;
        const res = await api.patch(path, { [field]: samples[field]![1] }, token);
        expect([name, field, res.status]).toEqual([name, field, 200]);
        const after = (await api.get(path, token)).body as Record<string, unknown>;
        const { updatedAt: _a, [field]: was, ...restBefore } = before;
        const { updatedAt: _b, [field]: now, ...restAfter } = after;
        expect([name, field, restAfter]).toEqual([name, field, restBefore]);
        expect([name, field, now]).toEqual([name, field, samples[field]![1]]);
        expect(was).not.toEqual(now);
        changed.push(`${name} ${field}`);
        // Back to the base for the next field.
        await api.patch(path, { [field]: samples[field]![0] }, token);
      }
    }
    expect(changed.length).toBeGreaterThanOrEqual(12);
  });
});
