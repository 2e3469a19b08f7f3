import fc from 'fast-check';
import { newId } from '@geminis/service-kit';
import { client, countRows, dept, startSupport, type Client, type Harness } from './support/support';

/** Whatever a client sends to open a ticket, the answer is a 201 or a 4xx problem — never a 5xx. */
describe('opening a ticket with arbitrary input', () => {
  let h: Harness;
  let api: Client;
  let token: string;
  let departmentId: string;

  beforeAll(async () => {
    h = await startSupport();
    api = client(h.url);
    const A = newId();
    token = h.issuer.tokenFor('client', A);
    const d = await api.post('/v1/support/departments', dept('Help'), h.issuer.tokenFor('reseller', A));
    departmentId = d.body.id;
  }, 60_000);
  afterAll(() => h.stop());

  const anything = fc.oneof(
    fc.constantFrom('\u0000', 'x\u0000y', '\ud800'),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.uuid(),
    fc.array(fc.string(), { maxLength: 3 }),
    fc.string({ unit: 'binary', maxLength: 300 }),
  );
  /** Mostly valid fields, each now and then replaced by anything (so the database is reached often). */
  const sometimes = <T>(valid: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: anything, weight: 1 });
  const body = fc.record(
    {
      departmentId: fc.oneof(
        { arbitrary: fc.constant('DEPT'), weight: 4 },
        { arbitrary: fc.uuid(), weight: 1 },
      ),
      subject: sometimes(fc.string({ unit: 'binary', minLength: 1, maxLength: 250 })),
      message: sometimes(fc.string({ unit: 'binary', minLength: 1, maxLength: 500 })),
      priority: sometimes(fc.constantFrom('low', 'medium', 'high', 'urgent')),
      relatedServiceId: sometimes(fc.uuid()),
      relatedInvoiceId: sometimes(fc.uuid()),
      extra: anything,
    },
    { requiredKeys: ['departmentId', 'subject', 'message'] },
  );

  it('refuses text PostgreSQL cannot store (a NUL character) naming the field, without a 5xx', async () => {
    const before = await countRows(h, 'tickets');
    const res = await api.post(
      '/v1/support/tickets',
      { departmentId, subject: 'a\u0000b', message: 'm\u0000' },
      token,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['message', 'subject']);
    expect(await countRows(h, 'tickets')).toBe(before);
  });

  it('answers 201 with a ticket, or a 4xx problem naming fields and writing nothing', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const input = { ...raw, ...(raw.departmentId === 'DEPT' ? { departmentId } : {}) };
        const before = await countRows(h, 'tickets');
        const res = await api.post('/v1/support/tickets', input, token);
        expect(res.status).toBeLessThan(500);
        if (res.status === 201) {
          expect(res.body.ticket.departmentId).toBe(departmentId);
          expect(await countRows(h, 'tickets')).toBe(before + 1);
        } else {
          expect(res.status).toBe(400);
          expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
          expect(res.body.errors.length).toBeGreaterThan(0);
          expect(await countRows(h, 'tickets')).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
  });
});
