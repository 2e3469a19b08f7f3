import { newId } from '@geminis/service-kit';
import {
  client,
  countRows,
  dept,
  outboxEvents,
  PLATFORM_TENANT_ID,
  startSupport,
  type Client,
  type Harness,
  type Res,
} from './support/support';

type Who = 'admin' | 'resellerA' | 'resellerB' | 'clientA1' | 'clientA2' | 'clientB1' | 'platformClient';

/**
 * Departments, tickets and canned replies over HTTP against a real PostgreSQL — twice: with both walls, and
 * with row-level security opened so that each store's own tenant filter must hold alone.
 */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('support over HTTP %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const user = { clientA1: newId(), clientA2: newId(), clientB1: newId(), agentA: newId(), agentA2: newId() };
  const t = {} as Record<Who, string>;
  const d = {} as Record<
    'platformShared' | 'platformOnly' | 'platformHidden' | 'acme' | 'acmeHidden' | 'bravo',
    string
  >;
  let ticketA1: string;
  let ticketA2: string;
  let ticketB1: string;
  let sharedTicket: string;

  const open = async (token: string, departmentId: string, subject: string, extra = {}) => {
    const res = await api.post(
      '/v1/support/tickets',
      { departmentId, subject, message: `${subject}: please help`, ...extra },
      token,
    );
    expect(res.status).toBe(201);
    return res.body.ticket.id as string;
  };
  const makeDept = async (token: string, body: object, query = '') => {
    const res = await api.post(`/v1/support/departments${query}`, body, token);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    h = await startSupport({}, { firstWallOnly });
    api = client(h.url);
    t.admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    t.resellerA = h.issuer.tokenFor('reseller', A, user.agentA);
    t.resellerB = h.issuer.tokenFor('reseller', B);
    t.clientA1 = h.issuer.tokenFor('client', A, user.clientA1);
    t.clientA2 = h.issuer.tokenFor('client', A, user.clientA2);
    t.clientB1 = h.issuer.tokenFor('client', B, user.clientB1);
    t.platformClient = h.issuer.tokenFor('client', PLATFORM_TENANT_ID);
    d.platformShared = await makeDept(t.admin, dept('Platform Sales', { shared: true }));
    d.platformOnly = await makeDept(t.admin, dept('Platform Billing'));
    d.platformHidden = await makeDept(t.admin, dept('Abuse', { visibility: 'hidden', shared: true }));
    d.acme = await makeDept(
      t.resellerA,
      dept('Acme Support', { defaultAssigneeId: user.agentA, firstResponseMinutes: 60 }),
    );
    d.acmeHidden = await makeDept(t.resellerA, dept('Acme Escalations', { visibility: 'hidden' }));
    d.bravo = await makeDept(t.resellerB, dept('Bravo Help'));
    ticketA1 = await open(t.clientA1, d.acme, 'Site down', { priority: 'high' });
    ticketA2 = await open(t.clientA2, d.acme, 'Mail bounce');
    ticketB1 = await open(t.clientB1, d.bravo, 'DNS question');
    sharedTicket = await open(t.clientA1, d.platformShared, 'Upgrade plan');
    expect(
      (await api.post(`/v1/support/tickets/${ticketA1}/replies`, { message: 'Looking' }, t.resellerA)).status,
    ).toBe(201);
    expect(
      (
        await api.post(
          `/v1/support/tickets/${ticketA1}/notes`,
          { message: 'SECRET: customer owes us' },
          t.resellerA,
        )
      ).status,
    ).toBe(201);
  }, 60_000);
  afterAll(() => h.stop());

  const names = (res: Res) => (res.body.items as { name: string }[]).map((x) => x.name).sort();
  const ids = (res: Res) => (res.body.items as { id: string }[]).map((x) => x.id);

  describe('departments', () => {
    it("shows a reseller's client its reseller's public departments and the platform's shared ones", async () => {
      expect(names(await api.get('/v1/support/departments', t.clientA1))).toEqual([
        'Acme Support',
        'Platform Sales',
      ]);
      expect(names(await api.get('/v1/support/departments', t.clientB1))).toEqual([
        'Bravo Help',
        'Platform Sales',
      ]);
    });

    it("shows a platform client the platform's public departments only", async () => {
      expect(names(await api.get('/v1/support/departments', t.platformClient))).toEqual([
        'Platform Billing',
        'Platform Sales',
      ]);
    });

    it('shows a reseller all of its own departments and nothing of others', async () => {
      expect(names(await api.get('/v1/support/departments', t.resellerA))).toEqual([
        'Acme Escalations',
        'Acme Support',
      ]);
      // a reseller cannot widen its scope with ?tenantId=
      expect(names(await api.get(`/v1/support/departments?tenantId=${B}`, t.resellerA))).toEqual([
        'Acme Escalations',
        'Acme Support',
      ]);
    });

    it('shows the admin every department, or one tenant’s when it narrows', async () => {
      const all = names(await api.get('/v1/support/departments', t.admin));
      expect(all).toEqual(expect.arrayContaining(['Abuse', 'Acme Support', 'Bravo Help', 'Platform Sales']));
      expect(names(await api.get(`/v1/support/departments?tenantId=${B}`, t.admin))).toEqual(['Bravo Help']);
    });

    it("answers another tenant's department exactly like a missing one, for read, change and delete", async () => {
      const missing = newId();
      for (const [method, body] of [
        ['GET', undefined],
        ['PATCH', { name: 'Hijacked' }],
        ['DELETE', undefined],
      ] as const) {
        const foreign = await api.call(method, `/v1/support/departments/${d.acme}`, {
          token: t.resellerB,
          ...(body ? { body } : {}),
        });
        const none = await api.call(method, `/v1/support/departments/${missing}`, {
          token: t.resellerB,
          ...(body ? { body } : {}),
        });
        expect(foreign.status).toBe(404);
        expect(none.status).toBe(404);
        expect(foreign.body.code).toBe(none.body.code);
        expect(foreign.body.detail).toBe(none.body.detail);
      }
      const still = await api.get(`/v1/support/departments/${d.acme}`, t.resellerA);
      expect(still.body.name).toBe('Acme Support');
    });

    it('lets the admin change and delete a reseller’s department only when it names the tenant', async () => {
      const id = await makeDept(t.resellerB, dept('Bravo Temp'));
      expect((await api.get(`/v1/support/departments/${id}`, t.admin)).status).toBe(200);
      expect((await api.del(`/v1/support/departments/${id}?tenantId=${A}`, t.admin)).status).toBe(404);
      expect((await api.del(`/v1/support/departments/${id}?tenantId=${B}`, t.admin)).status).toBe(204);
      expect((await api.get(`/v1/support/departments/${id}`, t.resellerB)).status).toBe(404);
    });

    it('refuses a shared department outside the platform, naming the field, and writes nothing', async () => {
      const before = await countRows(h, 'departments');
      const res = await api.post(
        '/v1/support/departments',
        dept('Acme Shared', { shared: true }),
        t.resellerA,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'shared' })]);
      const patch = await api.patch(`/v1/support/departments/${d.acme}`, { shared: true }, t.resellerA);
      expect(patch.status).toBe(400);
      expect(await countRows(h, 'departments')).toBe(before);
      expect((await api.get(`/v1/support/departments/${d.acme}`, t.resellerA)).body.shared).toBe(false);
    });

    it('refuses bad department input naming each field', async () => {
      const res = await api.post('/v1/support/departments', { name: '', email: 'nope' }, t.resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name']);
    });

    it('refuses a second department of the same name in a tenant, but not in another tenant', async () => {
      expect((await api.post('/v1/support/departments', dept('Acme Support'), t.resellerA)).status).toBe(409);
      const other = await api.post('/v1/support/departments', dept('Acme Support'), t.resellerB);
      expect(other.status).toBe(201);
      expect((await api.del(`/v1/support/departments/${other.body.id}`, t.resellerB)).status).toBe(204);
    });

    it('does not let clients manage departments', async () => {
      expect((await api.post('/v1/support/departments', dept('Mine'), t.clientA1)).status).toBe(403);
      expect((await api.get(`/v1/support/departments/${d.acme}`, t.clientA1)).status).toBe(403);
    });

    it('refuses to delete a department that tickets use, even a shared one used by another tenant', async () => {
      expect((await api.del(`/v1/support/departments/${d.acme}`, t.resellerA)).status).toBe(409);
      expect((await api.del(`/v1/support/departments/${d.platformShared}`, t.admin)).status).toBe(409);
      expect((await api.get(`/v1/support/departments/${d.platformShared}`, t.admin)).status).toBe(200);
    });
  });

  describe('opening tickets', () => {
    it('opens a ticket with its first message, assigned to the department default and due by its SLA', async () => {
      const staff = await api.get(`/v1/support/tickets/${ticketA1}`, t.resellerA);
      expect(staff.status).toBe(200);
      expect(staff.body.ticket).toMatchObject({
        subject: 'Site down',
        priority: 'high',
        departmentId: d.acme,
        clientId: user.clientA1,
        tenantId: A,
        assigneeId: user.agentA,
        openedBy: 'client',
      });
      const { createdAt, slaDueAt } = staff.body.ticket;
      expect(Date.parse(slaDueAt) - Date.parse(createdAt)).toBe(60 * 60_000);
      expect(staff.body.messages[0]).toMatchObject({
        author: 'client',
        authorId: user.clientA1,
        internal: false,
      });
    });

    it('publishes support.ticket.opened.v1 through the outbox in the client’s tenant', async () => {
      const opened = await outboxEvents(h, A, 'support.ticket.opened.v1');
      expect(opened.map((e) => e.data.ticketId)).toEqual(
        expect.arrayContaining([ticketA1, ticketA2, sharedTicket]),
      );
      expect(opened.find((e) => e.data.ticketId === ticketA1).data).toEqual({
        ticketId: ticketA1,
        clientId: user.clientA1,
        departmentId: d.acme,
        priority: 'high',
        openedBy: 'client',
      });
      expect((await outboxEvents(h, B, 'support.ticket.opened.v1')).map((e) => e.data.ticketId)).toEqual([
        ticketB1,
      ]);
    });

    it('lets a reseller’s client open a ticket in a shared platform department, owned by its reseller’s tenant', async () => {
      const res = await api.get(`/v1/support/tickets/${sharedTicket}`, t.resellerA);
      expect(res.status).toBe(200);
      expect(res.body.ticket).toMatchObject({ tenantId: A, departmentId: d.platformShared });
    });

    it.each([
      ['another reseller’s department', 'bravo'],
      ['its own reseller’s hidden department', 'acmeHidden'],
      ['a platform department that is not shared', 'platformOnly'],
      ['a hidden platform department', 'platformHidden'],
    ] as const)(
      'refuses a ticket in %s like an unknown one, naming departmentId, writing nothing',
      async (_what, key) => {
        const before = [await countRows(h, 'tickets'), await countRows(h, 'ticket_messages')];
        const foreign = await api.post(
          '/v1/support/tickets',
          { departmentId: d[key], subject: 'x', message: 'y' },
          t.clientA1,
        );
        const unknown = await api.post(
          '/v1/support/tickets',
          { departmentId: newId(), subject: 'x', message: 'y' },
          t.clientA1,
        );
        expect(foreign.status).toBe(400);
        expect(foreign.body.errors).toEqual([{ field: 'departmentId', message: 'no such department' }]);
        expect(foreign.body).toEqual({ ...unknown.body, requestId: foreign.body.requestId });
        expect([await countRows(h, 'tickets'), await countRows(h, 'ticket_messages')]).toEqual(before);
      },
    );

    it('refuses bad ticket input naming each field and writes nothing', async () => {
      const before = await countRows(h, 'tickets');
      const res = await api.post(
        '/v1/support/tickets',
        { departmentId: 'nope', subject: '', message: 'ok', priority: 'asap', extra: 1 },
        t.clientA1,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const fields = res.body.errors.map((e: { field: string }) => e.field);
      expect(fields).toEqual(expect.arrayContaining(['departmentId', 'subject', 'priority']));
      expect(await countRows(h, 'tickets')).toBe(before);
    });

    it('lets staff open a ticket for a client, in a hidden department too, awaiting the client', async () => {
      const clientA3 = newId();
      const res = await api.post(
        '/v1/support/tickets',
        { departmentId: d.acmeHidden, subject: 'Abuse report', message: 'We saw spam', clientId: clientA3 },
        t.resellerA,
      );
      expect(res.status).toBe(201);
      expect(res.body.ticket).toMatchObject({
        tenantId: A,
        clientId: clientA3,
        status: 'answered',
        openedBy: 'staff',
        assigneeId: user.agentA,
        slaDueAt: null,
      });
      expect(res.body.ticket.firstResponseAt).not.toBeNull();
      expect(res.body.messages).toEqual([
        expect.objectContaining({ author: 'staff', authorId: user.agentA }),
      ]);
      const theirs = h.issuer.tokenFor('client', A, clientA3);
      expect(ids(await api.get('/v1/support/tickets', theirs))).toEqual([res.body.ticket.id]);
      const opened = await outboxEvents(h, A, 'support.ticket.opened.v1');
      expect(opened.find((e) => e.data.ticketId === res.body.ticket.id).data.openedBy).toBe('staff');
      // the admin opens in the platform unless it names a tenant
      const platform = await api.post(
        '/v1/support/tickets',
        { departmentId: d.platformOnly, subject: 'Hello', message: 'From the platform', clientId: newId() },
        t.admin,
      );
      expect(platform.status).toBe(201);
      expect(platform.body.ticket.tenantId).toBe(PLATFORM_TENANT_ID);
    });

    it('refuses a staff ticket without a client, a client naming one, or another tenant’s department', async () => {
      const before = await countRows(h, 'tickets');
      const cases = [
        [t.resellerA, { departmentId: d.acme, subject: 's', message: 'm' }, 'clientId'],
        [
          t.clientA1,
          { departmentId: d.acme, subject: 's', message: 'm', clientId: user.clientA2 },
          'clientId',
        ],
        [
          t.resellerA,
          { departmentId: d.bravo, subject: 's', message: 'm', clientId: newId() },
          'departmentId',
        ],
        [
          t.resellerB,
          { departmentId: d.acmeHidden, subject: 's', message: 'm', clientId: newId() },
          'departmentId',
        ],
      ] as const;
      for (const [token, body, field] of cases) {
        const res = await api.post('/v1/support/tickets', body, token);
        expect([field, res.status]).toEqual([field, 400]);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      }
      expect(await countRows(h, 'tickets')).toBe(before);
    });
  });

  describe('internal notes', () => {
    it('shows staff the internal note and never the client, in the ticket or after its own reply', async () => {
      const staff = await api.get(`/v1/support/tickets/${ticketA1}`, t.resellerA);
      expect(staff.body.messages.map((m: { body: string }) => m.body)).toContain('SECRET: customer owes us');
      const own = await api.get(`/v1/support/tickets/${ticketA1}`, t.clientA1);
      expect(own.status).toBe(200);
      expect(JSON.stringify(own.body)).not.toContain('SECRET');
      expect(own.body.messages.every((m: { internal: boolean }) => !m.internal)).toBe(true);
      expect(own.body.messages.map((m: { body: string }) => m.body)).toContain('Looking');
      const admin = await api.get(`/v1/support/tickets/${ticketA1}`, t.admin);
      expect(admin.body.messages.some((m: { internal: boolean }) => m.internal)).toBe(true);
    });

    it('does not let a client write an internal note', async () => {
      const res = await api.post(`/v1/support/tickets/${ticketA1}/notes`, { message: 'x' }, t.clientA1);
      expect(res.status).toBe(403);
    });

    it('gives the client no staff-only facts (assignee, tags, SLA)', async () => {
      const own = await api.get(`/v1/support/tickets/${ticketA1}`, t.clientA1);
      expect(own.body.ticket).not.toHaveProperty('assigneeId');
      expect(own.body.ticket).not.toHaveProperty('tags');
      expect(own.body.ticket).not.toHaveProperty('slaDueAt');
      const list = await api.get('/v1/support/tickets', t.clientA1);
      expect(list.body.items.every((x: object) => !('assigneeId' in x))).toBe(true);
    });
  });

  describe('who sees which tickets', () => {
    it('lists a client its own tickets only', async () => {
      expect(ids(await api.get('/v1/support/tickets', t.clientA1)).sort()).toEqual(
        [ticketA1, sharedTicket].sort(),
      );
      expect(ids(await api.get('/v1/support/tickets', t.clientA2))).toEqual([ticketA2]);
    });

    it("lists a reseller its tenant's tickets, whatever tenant it asks for", async () => {
      const own = ids(await api.get('/v1/support/tickets?limit=100', t.resellerA));
      expect(own).toEqual(expect.arrayContaining([ticketA1, ticketA2, sharedTicket]));
      expect(own).not.toContain(ticketB1);
      expect(ids(await api.get(`/v1/support/tickets?tenantId=${B}&limit=100`, t.resellerA))).not.toContain(
        ticketB1,
      );
    });

    it('lists the admin every tenant’s tickets, or one tenant’s with ?tenantId=', async () => {
      const all = ids(await api.get('/v1/support/tickets?limit=100', t.admin));
      expect(all).toEqual(expect.arrayContaining([ticketA1, ticketB1]));
      expect(ids(await api.get(`/v1/support/tickets?tenantId=${B}`, t.admin))).toEqual([ticketB1]);
    });

    it('answers an admin narrowed to another tenant like a missing ticket', async () => {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['POST', '/replies', { message: 'x' }],
        ['PATCH', '', { priority: 'low' }],
      ] as const) {
        const res = await api.call(method, `/v1/support/tickets/${ticketA1}${suffix}?tenantId=${B}`, {
          token: t.admin,
          ...(body ? { body } : {}),
        });
        expect([method, suffix, res.status]).toEqual([method, suffix, 404]);
      }
      expect((await api.get(`/v1/support/tickets/${ticketA1}?tenantId=${A}`, t.admin)).status).toBe(200);
    });

    const outsiders = [
      ['reseller B', 'resellerB'],
      ['a client of reseller B', 'clientB1'],
      ['another client of the same reseller', 'clientA2'],
      ['a platform client', 'platformClient'],
    ] as const;

    it.each(outsiders)(
      'answers %s about the ticket exactly like a missing one, and changes nothing',
      async (_who, who) => {
        const missing = newId();
        const before = await api.get(`/v1/support/tickets/${ticketA1}`, t.resellerA);
        const attempts: [string, string, object | undefined][] = [
          ['GET', '', undefined],
          ['POST', '/replies', { message: 'let me in' }],
          ['POST', '/close', undefined],
          ['POST', '/reopen', undefined],
        ];
        if (who === 'resellerB')
          attempts.push(
            ['PATCH', '', { priority: 'low' }],
            ['POST', '/notes', { message: 'let me in' }],
            ['DELETE', '', undefined],
          );
        for (const [method, suffix, body] of attempts) {
          const call = (id: string) =>
            api.call(method, `/v1/support/tickets/${id}${suffix}`, {
              token: t[who],
              ...(body ? { body } : {}),
            });
          const foreign = await call(ticketA1);
          const none = await call(missing);
          expect([method, suffix, foreign.status]).toEqual([method, suffix, 404]);
          expect(none.status).toBe(404);
          expect(foreign.body.code).toBe(none.body.code);
          expect(foreign.body.detail).toBe(none.body.detail);
        }
        expect(ids(await api.get('/v1/support/tickets?limit=100', t[who]))).not.toContain(ticketA1);
        const after = await api.get(`/v1/support/tickets/${ticketA1}`, t.resellerA);
        expect(after.body).toEqual(before.body);
      },
    );
  });

  describe('conversation and status', () => {
    let id: string;
    beforeAll(async () => {
      id = await open(t.clientA2, d.acme, 'Conversation');
    });

    it('moves to answered on a staff reply, recording the first response, and publishes the reply', async () => {
      const res = await api.post(`/v1/support/tickets/${id}/replies`, { message: 'Hello' }, t.resellerA);
      expect(res.status).toBe(201);
      expect(res.body.ticket.status).toBe('answered');
      expect(res.body.ticket.firstResponseAt).not.toBeNull();
      const replied = (await outboxEvents(h, A, 'support.ticket.replied.v1')).filter(
        (e) => e.data.ticketId === id,
      );
      expect(replied.map((e) => e.data)).toEqual([
        {
          ticketId: id,
          messageId: res.body.messages.at(-1).id,
          clientId: user.clientA2,
          author: 'staff',
          status: 'answered',
        },
      ]);
    });

    it('moves to customer_reply on a client reply', async () => {
      const res = await api.post(`/v1/support/tickets/${id}/replies`, { message: 'Thanks' }, t.clientA2);
      expect(res.status).toBe(201);
      expect(res.body.ticket.status).toBe('customer_reply');
      const replied = (await outboxEvents(h, A, 'support.ticket.replied.v1')).filter(
        (e) => e.data.ticketId === id,
      );
      expect(replied.at(-1).data).toMatchObject({ author: 'client', status: 'customer_reply' });
    });

    it('publishes nothing for an internal note and keeps the status', async () => {
      const before = (await outboxEvents(h, A, 'support.ticket.replied.v1')).length;
      const res = await api.post(`/v1/support/tickets/${id}/notes`, { message: 'check logs' }, t.resellerA);
      expect(res.body.ticket.status).toBe('customer_reply');
      expect((await outboxEvents(h, A, 'support.ticket.replied.v1')).length).toBe(before);
    });

    it('lets staff hold, reprioritise, reassign, tag and move a ticket within the tenant', async () => {
      const res = await api.patch(
        `/v1/support/tickets/${id}`,
        {
          status: 'on_hold',
          priority: 'urgent',
          assigneeId: user.agentA2,
          tags: ['Billing', 'vip'],
          departmentId: d.acmeHidden,
        },
        t.resellerA,
      );
      expect(res.status).toBe(200);
      expect(res.body.ticket).toMatchObject({
        status: 'on_hold',
        priority: 'urgent',
        assigneeId: user.agentA2,
        tags: ['billing', 'vip'],
        departmentId: d.acmeHidden,
      });
      const cleared = await api.patch(
        `/v1/support/tickets/${id}`,
        { assigneeId: null, departmentId: d.acme },
        t.resellerA,
      );
      expect(cleared.body.ticket).toMatchObject({
        assigneeId: null,
        tags: ['billing', 'vip'],
        status: 'on_hold',
      });
    });

    it("refuses to move a ticket to another tenant's department, naming departmentId", async () => {
      const res = await api.patch(`/v1/support/tickets/${id}`, { departmentId: d.bravo }, t.resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'departmentId', message: 'no such department' }]);
      expect((await api.get(`/v1/support/tickets/${id}`, t.resellerA)).body.ticket.departmentId).toBe(d.acme);
    });

    it('refuses a status staff cannot set by hand', async () => {
      const res = await api.patch(`/v1/support/tickets/${id}`, { status: 'answered' }, t.resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('status');
    });

    it('closes, refuses replies while closed, and reopens', async () => {
      const closed = await api.post(`/v1/support/tickets/${id}/close`, undefined, t.clientA2);
      expect(closed.status).toBe(200);
      expect(closed.body.ticket.status).toBe('closed');
      expect(closed.body.ticket.closedAt).not.toBeNull();
      const reply = await api.post(`/v1/support/tickets/${id}/replies`, { message: 'again' }, t.clientA2);
      expect(reply.status).toBe(422);
      expect(reply.body.code).toBe('support.ticket_closed');
      const reopened = await api.post(`/v1/support/tickets/${id}/reopen`, undefined, t.clientA2);
      expect(reopened.body.ticket).toMatchObject({ status: 'open', closedAt: null });
      expect((await api.post(`/v1/support/tickets/${id}/reopen`, undefined, t.clientA2)).status).toBe(422);
    });

    it('lets staff delete a ticket with its messages', async () => {
      const doomed = await open(t.clientA2, d.acme, 'Doomed');
      const messages = await countRows(h, 'ticket_messages');
      expect((await api.del(`/v1/support/tickets/${doomed}`, t.resellerA)).status).toBe(204);
      expect((await api.get(`/v1/support/tickets/${doomed}`, t.resellerA)).status).toBe(404);
      expect(await countRows(h, 'ticket_messages')).toBe(messages - 1);
    });
  });

  describe('lists', () => {
    it('filters by status, department and assignee on the server', async () => {
      const answered = await api.get('/v1/support/tickets?status=answered', t.resellerA);
      expect(ids(answered)).toContain(ticketA1);
      expect(answered.body.items.every((x: { status: string }) => x.status === 'answered')).toBe(true);
      const shared = await api.get(`/v1/support/tickets?departmentId=${d.platformShared}`, t.resellerA);
      expect(ids(shared)).toEqual([sharedTicket]);
      const mine = await api.get(`/v1/support/tickets?assigneeId=${user.agentA}&limit=100`, t.resellerA);
      expect(ids(mine)).toEqual(expect.arrayContaining([ticketA1, ticketA2]));
      expect(ids(mine)).not.toContain(sharedTicket);
    });

    it('pages newest first with a cursor, every ticket exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: Res = await api.get(
          `/v1/support/tickets?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          t.resellerA,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...ids(res));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor && pages < 50);
      const all = ids(await api.get('/v1/support/tickets?limit=100', t.resellerA));
      expect(seen).toEqual(all);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect(pages).toBe(Math.ceil(all.length / 2));
    });

    it('refuses a client the staff-only filters (assignee, SLA breach), naming the field', async () => {
      for (const [q, field] of [
        [`assigneeId=${user.agentA}`, 'assigneeId'],
        ['breached=true', 'breached'],
      ]) {
        const res = await api.get(`/v1/support/tickets?${q}`, t.clientA1);
        expect([q, res.status]).toEqual([q, 400]);
        expect(res.body.errors[0].field).toBe(field);
      }
    });

    it('refuses a bad filter or page naming the field', async () => {
      for (const [q, field] of [
        ['cursor=abc', 'cursor'],
        ['limit=0', 'limit'],
        ['limit=1000', 'limit'],
        ['status=pending', 'status'],
        ['departmentId=x', 'departmentId'],
      ]) {
        const res = await api.get(`/v1/support/tickets?${q}`, t.resellerA);
        expect([q, res.status]).toEqual([q, 400]);
        expect(res.body.errors[0].field).toBe(field);
      }
    });
  });

  describe('canned replies', () => {
    it("keeps each tenant's canned replies to itself", async () => {
      const created = await api.post(
        '/v1/support/canned-replies',
        { title: 'Hello', body: 'Hi there' },
        t.resellerA,
      );
      expect(created.status).toBe(201);
      expect(ids(await api.get('/v1/support/canned-replies', t.resellerA))).toEqual([created.body.id]);
      expect(ids(await api.get('/v1/support/canned-replies', t.resellerB))).toEqual([]);
      const missing = await api.del(`/v1/support/canned-replies/${newId()}`, t.resellerB);
      const foreign = await api.del(`/v1/support/canned-replies/${created.body.id}`, t.resellerB);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe(missing.body.code);
      const hijack = await api.patch(
        `/v1/support/canned-replies/${created.body.id}`,
        { body: 'pwned' },
        t.resellerB,
      );
      expect(hijack.status).toBe(404);
      expect(hijack.body.code).toBe(missing.body.code);
      const list = await api.get('/v1/support/canned-replies', t.resellerA);
      expect(list.body.items).toEqual([expect.objectContaining({ id: created.body.id, body: 'Hi there' })]);
      const edited = await api.patch(
        `/v1/support/canned-replies/${created.body.id}`,
        { body: 'Hello!' },
        t.resellerA,
      );
      expect(edited.body).toMatchObject({ title: 'Hello', body: 'Hello!' });
      expect(
        (await api.patch(`/v1/support/canned-replies/${created.body.id}`, { title: '' }, t.resellerA)).body
          .errors[0].field,
      ).toBe('title');
      expect((await api.get('/v1/support/canned-replies', t.clientA1)).status).toBe(403);
      expect(
        (await api.post('/v1/support/canned-replies', { title: 'Hello', body: 'again' }, t.resellerA)).status,
      ).toBe(409);
      expect((await api.del(`/v1/support/canned-replies/${created.body.id}`, t.resellerA)).status).toBe(204);
    });
  });
});
