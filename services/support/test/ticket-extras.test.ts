import { newId } from '@geminis/service-kit';
import { createReplyAddresses } from '../src/domain/reply-token';
import {
  client,
  countRows,
  dept,
  SERVICE_KEY,
  startSupport,
  type Client,
  type Harness,
} from './support/support';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('0000000d49484452', 'hex'),
  Buffer.alloc(40, 7),
]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(100, 0x90)]);
const HTML = Buffer.from('<!DOCTYPE html><script>alert(1)</script>');
const REPLY = { secret: 'extras-reply-secret-long-enough-0123456789', domain: 'reply.extras.example' };

/**
 * Attachments, merging and ratings over HTTP against a real PostgreSQL — with both walls, and with
 * row-level security opened so that each store's own tenant filter must hold alone.
 */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('ticket attachments, merge and rating %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const user = { a1: newId(), a2: newId(), b1: newId() };
  const t = {} as Record<'resellerA' | 'resellerB' | 'a1' | 'a2' | 'b1', string>;
  let deptA: string;

  const upload = (
    token: string,
    ticketId: string,
    body: Buffer,
    filename = 'file.bin',
    type = 'application/octet-stream',
  ) =>
    fetch(`${h.url}/v1/support/attachments?ticketId=${ticketId}&filename=${encodeURIComponent(filename)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
  const download = (token: string, id: string) =>
    fetch(`${h.url}/v1/support/attachments/${id}`, { headers: { authorization: `Bearer ${token}` } });
  const open = async (token: string, subject: string) => {
    const res = await api.post(
      '/v1/support/tickets',
      { departmentId: deptA, subject, message: `${subject}!` },
      token,
    );
    expect(res.status).toBe(201);
    return res.body.ticket.id as string;
  };

  beforeAll(async () => {
    h = await startSupport(
      { reply: REPLY, attachments: { maxBytes: 2048, maxTicketBytes: 4096 } },
      { firstWallOnly },
    );
    api = client(h.url);
    t.resellerA = h.issuer.tokenFor('reseller', A);
    t.resellerB = h.issuer.tokenFor('reseller', B);
    t.a1 = h.issuer.tokenFor('client', A, user.a1);
    t.a2 = h.issuer.tokenFor('client', A, user.a2);
    t.b1 = h.issuer.tokenFor('client', B, user.b1);
    deptA = (await api.post('/v1/support/departments', dept('Desk'), t.resellerA)).body.id;
  }, 60_000);
  afterAll(() => h.stop());

  describe('attachments', () => {
    let ticket: string;
    let png: string;
    beforeAll(async () => {
      ticket = await open(t.a1, 'Screenshot');
    });

    it('stores a file with the type its bytes show, whatever its name and declared type', async () => {
      const res = await upload(t.a1, ticket, PNG, 'C:\\Users\\me\\shot.exe', 'text/html');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        contentType: 'image/png',
        filename: 'shot.exe',
        size: PNG.length,
        author: 'client',
      });
      png = res.body.id;
      const got = await download(t.resellerA, png);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('image/png');
      expect(got.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''shot.exe");
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
      expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
      const pdf = await upload(t.resellerA, ticket, PDF, 'invoice.pdf');
      expect(pdf.body).toMatchObject({ contentType: 'application/pdf', author: 'staff' });
      const list = await api.get(`/v1/support/tickets/${ticket}/attachments`, t.a1);
      expect(list.body.items.map((a: { contentType: string }) => a.contentType)).toEqual([
        'image/png',
        'application/pdf',
      ]);
    });

    it.each([
      ['an executable', EXE, 400],
      ['an HTML page posing as text', HTML, 400],
      ['an empty file', Buffer.alloc(0), 400],
      ['a file over the size limit', Buffer.concat([PDF, Buffer.alloc(3000, 0x20)]), 413],
    ])('refuses %s with a 4xx naming file, writing nothing', async (_what, bytes, status) => {
      const before = await countRows(h, 'ticket_attachments');
      const res = await upload(t.a1, ticket, bytes);
      expect(res.status).toBe(status);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['file']);
      expect(await countRows(h, 'ticket_attachments')).toBe(before);
    });

    it('refuses a file that would take the ticket over its total (422 naming file)', async () => {
      const big = Buffer.concat([PDF, Buffer.alloc(2010, 0x20)]);
      const first = await upload(t.a1, ticket, big);
      expect(first.status).toBe(201);
      const second = await upload(t.a1, ticket, big);
      expect(second.status).toBe(422);
      expect(second.body.errors.map((e: { field: string }) => e.field)).toEqual(['file']);
    });

    it('refuses a missing or malformed ticket id or name with a 400 naming it', async () => {
      const res = await fetch(`${h.url}/v1/support/attachments?ticketId=nope`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.a1}`, 'content-type': 'application/octet-stream' },
        body: PNG,
      });
      expect(res.status).toBe(400);
      const fields = ((await res.json()) as { errors: { field: string }[] }).errors
        .map((e) => e.field)
        .sort();
      expect(fields).toEqual(['filename', 'ticketId']);
    });

    it('answers a sibling client and another tenant exactly like a missing ticket or file', async () => {
      for (const token of [t.a2, t.resellerB, t.b1]) {
        expect((await upload(token, ticket, PNG)).status).toBe(404);
        expect((await upload(token, newId(), PNG)).status).toBe(404);
        expect((await download(token, png)).status).toBe(404);
        expect((await api.get(`/v1/support/tickets/${ticket}/attachments`, token)).status).toBe(404);
      }
      expect((await download(t.a1, newId())).status).toBe(404);
      expect((await download(t.a1, png)).status).toBe(200);
    });

    it('deletes a ticket’s files with the ticket', async () => {
      const other = await open(t.a1, 'Temp');
      await upload(t.a1, other, PDF);
      const before = await countRows(h, 'ticket_attachments');
      expect((await api.del(`/v1/support/tickets/${other}`, t.resellerA)).status).toBe(204);
      expect(await countRows(h, 'ticket_attachments')).toBe(before - 1);
    });
  });

  describe('merge', () => {
    it('moves one ticket’s messages and files into another of the same client and closes it', async () => {
      const into = await open(t.a1, 'Email down');
      const from = await open(t.a1, 'Email still down');
      await upload(t.a1, from, PDF);
      const res = await api.post(`/v1/support/tickets/${from}/merge`, { intoTicketId: into }, t.resellerA);
      expect(res.status).toBe(200);
      expect(res.body.ticket.id).toBe(into);
      expect(res.body.messages.map((m: { body: string }) => m.body)).toEqual([
        'Email down!',
        'Email still down!',
        'The ticket “Email still down” was merged into this one.',
      ]);
      const source = await api.get(`/v1/support/tickets/${from}`, t.a1);
      expect(source.body.ticket.status).toBe('closed');
      expect(source.body.messages).toEqual([]);
      expect((await api.get(`/v1/support/tickets/${into}/attachments`, t.a1)).body.items).toHaveLength(1);
      // merged once only
      expect(
        (await api.post(`/v1/support/tickets/${from}/merge`, { intoTicketId: into }, t.resellerA)).status,
      ).toBe(409);
    });

    it('sends a client’s mail to a merged ticket’s address on to the ticket it was merged into', async () => {
      await h.deliver('identity.client.created.v1', A, {
        clientId: user.a1,
        email: 'a1@clients.example',
        name: 'A1',
        language: 'en',
        currency: 'EUR',
        via: 'reseller',
      });
      const into = await open(t.a1, 'Billing');
      const from = await open(t.a1, 'Billing again');
      await api.post(`/v1/support/tickets/${from}/merge`, { intoTicketId: into }, t.resellerA);
      const to = createReplyAddresses(REPLY).addressFor(from, new Date());
      const raw = `From: <a1@clients.example>\r\nTo: ${to}\r\nSubject: Re\r\nMessage-ID: <${newId()}@x>\r\n\r\nfollowing up\r\n`;
      const piped = await fetch(`${h.url}/internal/v1/support/inbound-mail`, {
        method: 'POST',
        headers: { 'content-type': 'message/rfc822', 'x-geminis-service-key': SERVICE_KEY },
        body: raw,
      });
      expect(await piped.json()).toEqual({ status: 'appended', ticketId: into });
    });

    it('refuses merging tickets of different clients (422) or a ticket into itself (400), naming intoTicketId', async () => {
      const mine = await open(t.a1, 'Mine');
      const sibling = await open(t.a2, 'Sibling');
      const other = await api.post(
        `/v1/support/tickets/${mine}/merge`,
        { intoTicketId: sibling },
        t.resellerA,
      );
      expect(other.status).toBe(422);
      expect(other.body.errors.map((e: { field: string }) => e.field)).toEqual(['intoTicketId']);
      const self = await api.post(`/v1/support/tickets/${mine}/merge`, { intoTicketId: mine }, t.resellerA);
      expect(self.status).toBe(400);
      expect(self.body.errors.map((e: { field: string }) => e.field)).toEqual(['intoTicketId']);
    });

    it('treats another tenant’s tickets as missing, as source (404) and as target (400)', async () => {
      const a = await open(t.a1, 'A side');
      const bDept = (await api.post('/v1/support/departments', dept('B Desk'), t.resellerB)).body.id;
      const b = (
        await api.post('/v1/support/tickets', { departmentId: bDept, subject: 'B', message: 'b' }, t.b1)
      ).body.ticket.id;
      const asSource = await api.post(`/v1/support/tickets/${a}/merge`, { intoTicketId: b }, t.resellerB);
      expect(asSource.status).toBe(404);
      const foreignTarget = await api.post(
        `/v1/support/tickets/${a}/merge`,
        { intoTicketId: b },
        t.resellerA,
      );
      const missingTarget = await api.post(
        `/v1/support/tickets/${a}/merge`,
        { intoTicketId: newId() },
        t.resellerA,
      );
      expect(foreignTarget.status).toBe(400);
      expect(foreignTarget.body.detail).toBe(missingTarget.body.detail);
      expect((await api.post(`/v1/support/tickets/${a}/merge`, { intoTicketId: b }, t.a1)).status).toBe(403);
    });
  });

  describe('rating', () => {
    it('lets the client rate its ticket once it is closed, and rate again', async () => {
      const id = await open(t.a1, 'Rate me');
      const early = await api.put(`/v1/support/tickets/${id}/rating`, { score: 5 }, t.a1);
      expect(early.status).toBe(422);
      await api.post(`/v1/support/tickets/${id}/close`, {}, t.resellerA);
      const r = await api.put(`/v1/support/tickets/${id}/rating`, { score: 4, comment: 'Quick' }, t.a1);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ score: 4, comment: 'Quick' });
      await api.put(`/v1/support/tickets/${id}/rating`, { score: 5 }, t.a1);
      expect((await api.get(`/v1/support/tickets/${id}/rating`, t.resellerA)).body).toMatchObject({
        score: 5,
        comment: null,
      });
      expect(await countRows(h, 'ticket_ratings')).toBeGreaterThanOrEqual(1);
    });

    it('refuses a score out of range naming score, staff rating (403), and others’ tickets (404)', async () => {
      const id = await open(t.a1, 'Rate bounds');
      await api.post(`/v1/support/tickets/${id}/close`, {}, t.a1);
      const bad = await api.put(`/v1/support/tickets/${id}/rating`, { score: 6 }, t.a1);
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['score']);
      expect((await api.put(`/v1/support/tickets/${id}/rating`, { score: 3 }, t.resellerA)).status).toBe(403);
      expect((await api.put(`/v1/support/tickets/${id}/rating`, { score: 3 }, t.a2)).status).toBe(404);
      expect((await api.put(`/v1/support/tickets/${id}/rating`, { score: 3 }, t.b1)).status).toBe(404);
      expect((await api.get(`/v1/support/tickets/${id}/rating`, t.resellerB)).status).toBe(404);
      // not rated yet: the same 404
      expect((await api.get(`/v1/support/tickets/${id}/rating`, t.resellerA)).status).toBe(404);
    });
  });
});
