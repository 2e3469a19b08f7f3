import { rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { client, startIdentity, type Client, type Harness } from './support/identity';
import { seedIdentityDemo } from '../src/service';

const PUBLIC = new Set([
  'GET /.well-known/jwks.json',
  'POST /v1/auth/login',
  'POST /v1/auth/login/2fa',
  'POST /v1/auth/login/2fa/enrol',
  'POST /v1/auth/login/2fa/confirm',
  'POST /v1/auth/refresh',
  'POST /v1/auth/logout',
  'POST /v1/auth/password/reset-request',
  'POST /v1/auth/password/reset',
  'POST /v1/auth/signup',
  'GET /internal/v1/tenants/by-host/:host',
  'GET /internal/v1/tenants/:id/brand',
]);

/** Routes only our own services may call, with the shared service key. */
const SERVICE_ONLY = new Set([
  'GET /internal/v1/tenants/:id/password-resets/:resetId',
  'GET /internal/v1/revocations',
  'GET /internal/v1/clients/:id',
]);

/** Writes that take no body, on purpose: each is an action named entirely by its path and caller. */
const NO_BODY = new Set([
  'POST /v1/clients/{id}/activate', // re-activation has no reason to give (suspend has one)
  'POST /v1/resellers/{id}/activate', // likewise
  'POST /v1/users/{id}/2fa/reset', // an admin reset of the user named in the path
]);

describe('identity input handling', () => {
  let h: Harness;
  let api: Client;
  let admin: string;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    const demo = await seedIdentityDemo(h.db, h.services);
    admin = (await api.login(demo.admin.email, demo.admin.password)).accessToken;
  }, 60_000);
  afterAll(() => h.stop());

  const count = async (table: 'users' | 'resellers') =>
    (
      await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(table)}`),
      )
    )[0]!.n;

  it('seeds the demo idempotently', async () => {
    const users = await count('users');
    const a = await seedIdentityDemo(h.db, h.services);
    const b = await seedIdentityDemo(h.db, h.services);
    expect(b).toEqual(a);
    expect(await count('users')).toBe(users);
  });

  it('declares every route deliberately public, for services only, or with the roles allowed', () => {
    const all = h.running.built.routes.flatMap((r) => r.list());
    const named = (kind: 'public' | 'service') =>
      new Set(all.filter((r) => r.access === kind).map((r) => `${r.method} ${r.path}`));
    expect(named('public')).toEqual(PUBLIC);
    expect(named('service')).toEqual(SERVICE_ONLY);
    for (const r of all) if (typeof r.access === 'object') expect(r.access.roles.length).toBeGreaterThan(0);
  });

  it('documents a request body for every write it serves, except the deliberate actions without one', async () => {
    const doc = (await api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const withoutBody = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) && !op.requestBody)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(new Set(withoutBody)).toEqual(NO_BODY);
  });

  it('declares the success answers of every route it serves', () => {
    const all = h.running.built.routes.flatMap((r) => r.list());
    const undeclared = all
      .filter((r) => Object.keys(r.responses ?? {}).length === 0)
      .map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('documents a success answer for every operation in its OpenAPI part', async () => {
    const doc = (await api.get('/openapi.json')).body as {
      paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({
        name: `${method.toUpperCase()} ${path}`,
        statuses: Object.keys(op.responses ?? {}),
      })),
    );
    expect(operations.length).toBeGreaterThan(20);
    const without = operations.filter((o) => !o.statuses.some((s) => /^2\d\d$/.test(s))).map((o) => o.name);
    expect(without).toEqual([]);
  });

  it('bounds every request string and parameter it documents (OWASP API4: maxLength, enum or const)', async () => {
    type Schema = Record<string, unknown>;
    const doc = (await api.get('/openapi.json')).body as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Array<{ name: string; schema: Schema }>;
            requestBody?: { content: Record<string, { schema: Schema }> };
          }
        >
      >;
    };
    const unbounded: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (!schema || typeof schema !== 'object') return;
      const s = schema as Schema;
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type];
      if (types.includes('string') && s.maxLength === undefined && !s.enum && s.const === undefined)
        unbounded.push(where);
      for (const [key, value] of Object.entries(s)) {
        if (key === 'properties' && value && typeof value === 'object')
          for (const [name, sub] of Object.entries(value)) walk(sub, `${where}.${name}`);
        else if (Array.isArray(value)) value.forEach((sub, i) => walk(sub, `${where}.${key}[${i}]`));
        else if (typeof value === 'object') walk(value, `${where}.${key}`);
      }
    };
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        operations += 1;
        const name = `${method.toUpperCase()} ${path}`;
        for (const p of op.parameters ?? []) walk(p.schema, `${name} ${p.name}`);
        for (const c of Object.values(op.requestBody?.content ?? {})) walk(c.schema, `${name} body`);
      }
    expect(operations).toBeGreaterThan(20);
    expect(unbounded).toEqual([]);
  });

  it('answers a value longer than its bound with 400 naming the field, in every documented body, query and path', async () => {
    type Schema = { type?: unknown; maxLength?: number; properties?: Record<string, Schema> };
    type Operation = {
      parameters?: Array<{ name: string; in: string; schema: Schema }>;
      requestBody?: { content: Record<string, { schema: Schema }> };
    };
    const doc = (await api.get('/openapi.json')).body as { paths: Record<string, Record<string, Operation>> };
    const demo = await seedIdentityDemo(h.db, h.services);
    const tokens = [
      admin,
      (await api.login(demo.reseller.email, demo.reseller.password, 'acme')).accessToken,
      (await api.login(demo.resellerClient.email, demo.resellerClient.password, 'acme')).accessToken,
    ];
    /** Bounded string fields of a body: dotted path → maxLength (nested objects included). */
    const boundedFields = (schema: Schema, prefix = ''): Array<[string, number]> =>
      Object.entries(schema.properties ?? {}).flatMap(([name, sub]): Array<[string, number]> => {
        if (sub.properties) return boundedFields(sub, `${prefix}${name}.`);
        return sub.type === 'string' && typeof sub.maxLength === 'number'
          ? [[`${prefix}${name}`, sub.maxLength]]
          : [];
      });
    const nest = (path: string, value: string): Record<string, unknown> => {
      const [head, ...rest] = path.split('.');
      return { [head!]: rest.length ? nest(rest.join('.'), value) : value };
    };
    const tooLong = (max: number) => 'a'.repeat(Math.max(300, max + 1));
    const someId = '0193a1b2-0000-7000-8000-0000000000ff';
    const failures: string[] = [];
    let checked = 0;
    for (const [template, item] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(item)) {
        const path = template.replace(/\{[^}]+\}/g, someId);
        const cases: Array<{ field: string; body?: unknown; query?: string; path?: string }> = [];
        const body = op.requestBody?.content['application/json']?.schema;
        if (body)
          for (const [field, max] of boundedFields(body))
            cases.push({ field, body: nest(field, tooLong(max)) });
        for (const p of op.parameters ?? [])
          if (p.in === 'query' && p.schema.type === 'string' && typeof p.schema.maxLength === 'number')
            cases.push({ field: p.name, query: `${p.name}=${tooLong(p.schema.maxLength)}` });
          else if (p.in === 'path' && typeof p.schema.maxLength === 'number')
            cases.push({
              field: p.name,
              path: template
                .replace(`{${p.name}}`, tooLong(p.schema.maxLength))
                .replace(/\{[^}]+\}/g, someId),
            });
        for (const c of cases) {
          const url = c.query ? `${path}?${c.query}` : (c.path ?? path);
          let res = await api.call(method.toUpperCase(), url, { body: c.body, token: tokens[0]! });
          for (const token of tokens.slice(1))
            if (res.status === 403) res = await api.call(method.toUpperCase(), url, { body: c.body, token });
          checked += 1;
          const fields = ((res.body?.errors ?? []) as Array<{ field: string }>).map((e) => e.field);
          if (res.status !== 400 || !fields.includes(c.field))
            failures.push(
              `${method.toUpperCase()} ${template} ${c.field}: ${res.status} ${fields.join(',')}`,
            );
        }
      }
    expect(checked).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  });

  it('answers the operations other tests only refuse in their declared shapes', async () => {
    // The harness checks every JSON answer against its declared schema: a mismatch is a 500.
    const owner = { email: 'o@shapes.example', name: 'O', password: 'long-enough-pass-1' };
    const created = await api.post('/v1/resellers', { slug: 'shapes', brandName: 'Shapes', owner }, admin);
    expect(created.status).toBe(201);
    const id = created.body.reseller.id;
    expect((await api.get(`/v1/resellers/${id}`, admin)).body).toEqual(created.body.reseller);
    const page = await api.get('/v1/resellers?limit=1', admin);
    expect([page.status, page.body.next]).toEqual([200, page.body.items[0].id]);
    const clients = await api.get('/v1/clients?limit=1', admin);
    expect([clients.status, clients.body.next]).toEqual([200, clients.body.items[0].id]);
    expect((await api.post(`/v1/resellers/${id}/suspend`, {}, admin)).body.status).toBe('suspended');
    expect((await api.post(`/v1/resellers/${id}/activate`, {}, admin)).body.status).toBe('active');
    const me = await api.patch('/v1/me', { language: 'pt-BR' }, admin);
    expect([me.status, me.body.language]).toEqual([200, 'pt-BR']);
    const log = await api.get('/v1/audit-log?limit=200', admin);
    expect(log.status).toBe(200);
    expect(log.body.items.length).toBeGreaterThan(0);
  });

  it.each<[string, string, unknown, string[]]>([
    ['POST', '/v1/clients', { name: 'x', password: 'long-enough-pass-1' }, ['email']],
    ['POST', '/v1/clients', { email: 'not-an-email', name: 'x', password: 'long-enough-pass-1' }, ['email']],
    ['POST', '/v1/clients', { email: 'a@b.co', name: 42, password: 'long-enough-pass-1' }, ['name']],
    [
      'POST',
      '/v1/clients',
      { email: 'a@b.co', name: 'x'.repeat(201), password: 'long-enough-pass-1' },
      ['name'],
    ],
    ['POST', '/v1/clients', { email: 'a@b.co', name: 'x', password: 'short' }, ['password']],
    [
      'POST',
      '/v1/clients',
      { email: 'a@b.co', name: 'x', password: 'long-enough-pass-1', role: 'admin' },
      ['(root)'],
    ],
    [
      'POST',
      '/v1/resellers',
      {
        slug: 'Bad Slug',
        brandName: 'B',
        owner: { email: 'o@b.co', name: 'o', password: 'long-enough-pass-1' },
      },
      ['slug'],
    ],
    [
      'POST',
      '/v1/resellers',
      {
        slug: 'ok',
        brandName: 'B',
        customDomains: ['not a domain'],
        owner: { email: 'o@b.co', name: 'o', password: 'long-enough-pass-1' },
      },
      ['customDomains.0'],
    ],
    ['POST', '/v1/resellers', { slug: 'ok', brandName: 'B' }, ['owner']],
    ['POST', '/v1/auth/login', { email: 'a@b.co' }, ['password']],
    [
      'POST',
      '/v1/auth/signup',
      { email: 'a@b.co', name: 'x', password: 'long-enough-pass-1', currency: 'euro' },
      ['currency'],
    ],
    [
      'PUT',
      '/v1/settings',
      { values: { 'billing.daysBeforeDueToInvoice': -1, 'no.such.key': 1 } },
      ['values.billing.daysBeforeDueToInvoice', 'values.no.such.key'],
    ],
  ])(
    '%s %s rejects bad input with the field names and writes nothing',
    async (method, path, body, fields) => {
      const users = await count('users');
      const resellers = await count('resellers');
      const res = await api.call(method, path, { body, token: admin });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: any) => e.field).sort()).toEqual([...fields].sort());
      expect(await count('users')).toBe(users);
      expect(await count('resellers')).toBe(resellers);
    },
  );

  it('refuses a custom domain or slug already taken by another reseller with 409, writing nothing', async () => {
    const owner = { email: 'o@dup.example', name: 'o', password: 'long-enough-pass-1' };
    const taken = await api.post(
      '/v1/resellers',
      { slug: 'dup', brandName: 'D', customDomains: ['acme.localhost'], owner },
      admin,
    );
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('identity.domain_taken');
    const slug = await api.post('/v1/resellers', { slug: 'acme', brandName: 'D', owner }, admin);
    expect(slug.body.code).toBe('identity.slug_taken');
    expect((await api.get('/internal/v1/tenants/by-host/acme.localhost')).body.slug).toBe('acme');
  });

  it('signs a client up on the storefront named by its slug, in that tenant', async () => {
    const res = await api.post('/v1/auth/signup', {
      email: 'new@shop.example',
      name: 'New',
      password: 'long-enough-pass-1',
      tenantSlug: 'acme',
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted' });
    const acme = (await api.get('/internal/v1/tenants/by-host/acme.localhost')).body.tenantId;
    const session = await api.login('new@shop.example', 'long-enough-pass-1', 'acme');
    expect(session.user).toMatchObject({ role: 'client', tenantId: acme });
    expect(
      (
        await api.post('/v1/auth/signup', {
          email: 'x@shop.example',
          name: 'X',
          password: 'long-enough-pass-1',
          tenantSlug: 'nope',
        })
      ).status,
    ).toBe(404);
  });
});
