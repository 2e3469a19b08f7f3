import { newId, rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { Client as PgClient } from 'pg';
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

const REPLY = { secret: 'inbound-reply-secret-long-enough-0123456789', domain: 'reply.support.example' };

/**
 * Mail in, through the piping endpoint and through support's own SMTP listener (a real SMTP session from
 * nodemailer): replies land in their ticket once; forged, expired and machine-made mail is dropped.
 */
describe('inbound mail', () => {
  let h: Harness;
  let api: Client;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const A = newId();
  const B = newId();
  const ana = { id: newId(), email: 'ana@clients.example' };
  const eve = { id: newId(), email: 'eve@clients.example' };
  const bob = { id: newId(), email: 'bob@clients.example' };
  let ticket: string;
  let replyTo: string;
  let helpDesk: string;

  const pipe = (raw: string, key: string | null = SERVICE_KEY) =>
    fetch(`${h.url}/internal/v1/support/inbound-mail`, {
      method: 'POST',
      headers: { 'content-type': 'message/rfc822', ...(key ? { 'x-geminis-service-key': key } : {}) },
      body: raw,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

  const message = (o: {
    from: string;
    to: string;
    subject?: string;
    body: string;
    headers?: string[];
    id?: string;
  }) =>
    [
      `From: Someone <${o.from}>`,
      `To: ${o.to}`,
      `Subject: ${o.subject ?? 'Re: Site down'}`,
      `Message-ID: <${o.id ?? newId()}@mail.clients.example>`,
      'Date: Mon, 30 Nov 2026 10:00:00 +0000',
      ...(o.headers ?? []),
      'Content-Type: text/plain; charset=utf-8',
      '',
      o.body,
      '',
    ].join('\r\n');

  const messages = async (id: string, tenant = A) =>
    (await api.get(`/v1/support/tickets/${id}`, h.issuer.tokenFor('reseller', tenant))).body.messages as {
      author: string;
      body: string;
    }[];

  beforeAll(async () => {
    h = await startSupport({
      now: () => clock.now,
      reply: REPLY,
      inboundSmtp: { port: 0, host: '127.0.0.1' },
    });
    api = client(h.url);
    for (const [tenant, c] of [
      [A, ana],
      [A, eve],
      [B, bob],
    ] as const)
      await h.deliver('identity.client.created.v1', tenant, {
        clientId: c.id,
        email: c.email,
        name: 'X',
        language: 'en',
        currency: 'EUR',
        via: 'reseller',
      });
    const reseller = h.issuer.tokenFor('reseller', A);
    const d = await api.post(
      '/v1/support/departments',
      dept('Help', { email: 'help@acme.example' }),
      reseller,
    );
    await api.post(
      '/v1/support/departments',
      dept('Bravo', { email: 'help@bravo.example' }),
      h.issuer.tokenFor('reseller', B),
    );
    helpDesk = d.body.id;
    const t = await api.post(
      '/v1/support/tickets',
      { departmentId: d.body.id, subject: 'Site down', message: 'help' },
      h.issuer.tokenFor('client', A, ana.id),
    );
    ticket = t.body.ticket.id;
    await api.post(`/v1/support/tickets/${ticket}/replies`, { message: 'Which site?' }, reseller);
    const [mail] = await h.db.withTenant({ kind: 'tenant', tenantId: A }, (tx) =>
      rows<{ reply_to: string }>(tx, sql`select reply_to from mail_outbox where template = 'ticket_replied'`),
    );
    replyTo = mail!.reply_to;
  }, 60_000);
  afterAll(() => h.stop());

  it('appends a client’s reply to its ticket once, without the quoted history', async () => {
    const raw = message({
      from: ana.email,
      to: replyTo,
      id: 'reply-1',
      body: 'example.com is down\r\n\r\nOn Mon, 30 Nov 2026, Acme wrote:\r\n> Which site?',
    });
    expect((await pipe(raw)).body).toEqual({ status: 'appended', ticketId: ticket });
    expect((await pipe(raw)).body).toEqual({ status: 'duplicate' });
    const ms = await messages(ticket);
    expect(ms.filter((m) => m.body === 'example.com is down')).toEqual([
      expect.objectContaining({ author: 'client' }),
    ]);
    const t = await api.get(`/v1/support/tickets/${ticket}`, h.issuer.tokenFor('reseller', A));
    expect(t.body.ticket.status).toBe('customer_reply');
  });

  it.each([
    [
      'a forged token',
      () => replyTo.replace(/-([a-z2-7])/, (_m, c: string) => `-${c === 'a' ? 'b' : 'a'}`),
      ana.email,
      'forged_token',
    ],
    [
      'a token for another domain',
      () => replyTo.replace(REPLY.domain, 'evil.example'),
      ana.email,
      'forged_token',
    ],
    [
      'a token signed with another key',
      () => createReplyAddresses({ ...REPLY, secret: 'x'.repeat(40) }).addressFor(ticket, clock.now),
      ana.email,
      'forged_token',
    ],
    ['a sender who is not the ticket’s client', () => replyTo, eve.email, 'sender_mismatch'],
  ])('drops a reply with %s and writes nothing', async (_what, to, from, reason) => {
    const before = await countRows(h, 'ticket_messages');
    const res = await pipe(message({ from, to: to(), body: 'let me in' }));
    expect(res.body).toEqual({ status: 'dropped', reason });
    expect(await countRows(h, 'ticket_messages')).toBe(before);
  });

  it('drops a reply whose address has expired', async () => {
    const old = createReplyAddresses({ ...REPLY, validDays: 1 }).addressFor(
      ticket,
      new Date('2026-11-01T00:00:00Z'),
    );
    const res = await pipe(message({ from: ana.email, to: old, body: 'late' }));
    expect(res.body).toEqual({ status: 'dropped', reason: 'expired_token' });
  });

  it.each([
    ['Auto-Submitted: auto-replied', ana.email],
    ['Precedence: bulk', ana.email],
    ['Precedence: list', ana.email],
    ['X-Autoreply: yes', ana.email],
  ])('drops an automatic reply (%s)', async (header, from) => {
    const before = await countRows(h, 'ticket_messages');
    const res = await pipe(message({ from, to: replyTo, body: 'I am out of office', headers: [header] }));
    expect(res.body).toEqual({ status: 'dropped', reason: 'auto_reply' });
    expect(await countRows(h, 'ticket_messages')).toBe(before);
  });

  it('drops our own mail coming back (a loop)', async () => {
    const res = await pipe(message({ from: 'no-reply@geminis.localhost', to: replyTo, body: 'loop' }));
    expect(res.body).toEqual({ status: 'dropped', reason: 'own_mail' });
    const ours = await pipe(
      message({
        from: ana.email,
        to: replyTo,
        body: 'loop',
        headers: ['X-Geminis-Template: ticket_replied'],
      }),
    );
    expect(ours.body).toEqual({ status: 'dropped', reason: 'own_mail' });
  });

  it('opens a ticket for a known client mailing its tenant’s department, and nothing for a stranger or another tenant’s client', async () => {
    const opened = await pipe(
      message({
        from: eve.email,
        to: 'Help <HELP@acme.example>',
        subject: 'New domain',
        body: 'Please add it',
      }),
    );
    expect(opened.body.status).toBe('opened');
    const t = await api.get(
      `/v1/support/tickets/${opened.body.ticketId}`,
      h.issuer.tokenFor('client', A, eve.id),
    );
    expect(t.body.ticket).toMatchObject({ subject: 'New domain', clientId: eve.id, openedBy: 'client' });
    const before = await countRows(h, 'tickets');
    // B's client writing to A's department, and a stranger: dropped
    expect((await pipe(message({ from: bob.email, to: 'help@acme.example', body: 'hi' }))).body).toEqual({
      status: 'dropped',
      reason: 'unknown_sender',
    });
    expect(
      (await pipe(message({ from: 'who@else.example', to: 'help@acme.example', body: 'hi' }))).body,
    ).toEqual({
      status: 'dropped',
      reason: 'unknown_sender',
    });
    expect(await countRows(h, 'tickets')).toBe(before);
  });

  it('refuses piping without the service key, and a body that is not a message with a 400 naming it', async () => {
    const raw = message({ from: ana.email, to: replyTo, body: 'x' });
    expect((await pipe(raw, null)).status).toBe(401);
    expect((await pipe(raw, 'wrong-key-wrong-key-wrong-key')).status).toBe(401);
    const bad = await pipe('just some text');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'body' })]);
  });

  it('stores a reply’s allowed files on the ticket and skips the others', async () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(32, 1),
    ]);
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(64, 0x90)]);
    const raw = [
      `From: <${ana.email}>`,
      `To: ${replyTo}`,
      'Subject: Re: Site down',
      `Message-ID: <${newId()}@mail.clients.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'screenshot attached',
      '--b1',
      'Content-Type: image/png; name="shot.png"',
      'Content-Disposition: attachment; filename="shot.png"',
      'Content-Transfer-Encoding: base64',
      '',
      png.toString('base64'),
      '--b1',
      'Content-Type: application/octet-stream; name="setup.exe"',
      'Content-Disposition: attachment; filename="setup.exe"',
      'Content-Transfer-Encoding: base64',
      '',
      exe.toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');
    expect((await pipe(raw)).body).toEqual({ status: 'appended', ticketId: ticket, attachments: 1 });
    const files = await api.get(
      `/v1/support/tickets/${ticket}/attachments`,
      h.issuer.tokenFor('client', A, ana.id),
    );
    expect(files.body.items).toEqual([
      expect.objectContaining({ filename: 'shot.png', contentType: 'image/png', author: 'client' }),
    ]);
  });

  it('receives a reply over SMTP on its own listener', async () => {
    const port = h.running.built.inboundSmtpPort!;
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    await transport.sendMail({
      from: ana.email,
      to: replyTo,
      subject: 'Re: Site down',
      text: 'sent over SMTP',
      messageId: '<smtp-1@mail.clients.example>',
    });
    // an auto-reply is accepted by SMTP (no bounce) and dropped
    await transport.sendMail({
      from: ana.email,
      to: replyTo,
      subject: 'Out of office',
      text: 'away',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    const ms = await messages(ticket);
    expect(ms.filter((m) => m.body === 'sent over SMTP')).toHaveLength(1);
    expect(ms.some((m) => m.body === 'away')).toBe(false);
  });
  /** A new ticket of Ana's in a department, and the reply address its receipt carries. */
  async function anasTicket(departmentId: string, subject: string) {
    const t = await api.post(
      '/v1/support/tickets',
      { departmentId, subject, message: 'first' },
      h.issuer.tokenFor('client', A, ana.id),
    );
    const id = t.body.ticket.id as string;
    const [mail] = await h.db.withTenant({ kind: 'tenant', tenantId: A }, (tx) =>
      rows<{ reply_to: string }>(
        tx,
        sql`select reply_to from mail_outbox where template = 'ticket_opened' and event_id = ${id}`,
      ),
    );
    return { id, replyTo: mail!.reply_to };
  }

  const ticketOf = async (id: string) =>
    (await api.get(`/v1/support/tickets/${id}`, h.issuer.tokenFor('reseller', A))).body as {
      ticket: { status: string; followUpOf: string | null; subject: string };
      messages: { body: string }[];
    };

  it('reopens a closed ticket when its client mails it (the department’s default)', async () => {
    const t = await anasTicket(helpDesk, 'Closed then mailed');
    await api.post(`/v1/support/tickets/${t.id}/close`, {}, h.issuer.tokenFor('reseller', A));
    const raw = message({ from: ana.email, to: t.replyTo, body: 'it broke again' });
    expect((await pipe(raw)).body).toEqual({ status: 'appended', ticketId: t.id });
    const after = await ticketOf(t.id);
    expect(after.ticket.status).toBe('customer_reply');
    expect(after.messages.map((m) => m.body)).toContain('it broke again');
  });

  it('opens a new ticket referring to the closed one when the department says so', async () => {
    const reseller = h.issuer.tokenFor('reseller', A);
    const d = await api.post(
      '/v1/support/departments',
      dept('Sales', { email: 'sales@acme.example', closedTicketMail: 'new_ticket' }),
      reseller,
    );
    expect(d.body.closedTicketMail).toBe('new_ticket');
    const t = await anasTicket(d.body.id, 'Quote');
    await api.post(`/v1/support/tickets/${t.id}/close`, {}, reseller);
    const answer = (await pipe(message({ from: ana.email, to: t.replyTo, body: 'one more question' }))).body;
    expect(answer).toEqual({ status: 'opened', ticketId: expect.any(String) });
    expect(answer.ticketId).not.toBe(t.id);
    const fresh = await ticketOf(answer.ticketId);
    expect(fresh.ticket).toMatchObject({ status: 'open', followUpOf: t.id, subject: 'Quote' });
    expect(fresh.messages.map((m) => m.body)).toEqual(['one more question']);
    expect((await ticketOf(t.id)).ticket.status).toBe('closed');
  });

  it('refuses an unknown closed-ticket rule with a 400 naming the field, and writes nothing', async () => {
    const before = await countRows(h, 'departments');
    const r = await api.post(
      '/v1/support/departments',
      dept('Odd', { closedTicketMail: 'ignore' }),
      h.issuer.tokenFor('reseller', A),
    );
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toContain('closedTicketMail');
    expect(await countRows(h, 'departments')).toBe(before);
  });

  it('keeps a mailed reply and its files in one transaction: neither is kept without the other', async () => {
    const t = await anasTicket(helpDesk, 'Atomic');
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(16, 2),
    ]);
    const raw = [
      `From: <${ana.email}>`,
      `To: ${t.replyTo}`,
      'Subject: Re: Atomic',
      `Message-ID: <${newId()}@mail.clients.example>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'with a file',
      '--b1',
      'Content-Type: image/png; name="boom.png"',
      'Content-Disposition: attachment; filename="boom.png"',
      'Content-Transfer-Encoding: base64',
      '',
      png.toString('base64'),
      '--b1--',
      '',
    ].join('\r\n');
    // the database refuses the file (as a full disk would): the message must not stay without it
    const admin = new PgClient({ connectionString: h.testDb.adminUrl });
    await admin.connect();
    try {
      await admin.query(`create function refuse_boom() returns trigger language plpgsql as $$
        begin if new.filename = 'boom.png' then raise exception 'disk full'; end if; return new; end $$`);
      await admin.query(`create trigger refuse_boom before insert on ticket_attachments
        for each row execute function refuse_boom()`);
      expect((await pipe(raw)).status).toBe(500);
      expect((await ticketOf(t.id)).messages.map((m) => m.body)).toEqual(['first']);
      await admin.query('drop trigger refuse_boom on ticket_attachments');
    } finally {
      await admin.end();
    }
    // the sender's server tries again: not a duplicate, the message and its file land together
    expect((await pipe(raw)).body).toEqual({ status: 'appended', ticketId: t.id, attachments: 1 });
    expect((await ticketOf(t.id)).messages.map((m) => m.body)).toEqual(['first', 'with a file']);
    const files = await api.get(`/v1/support/tickets/${t.id}/attachments`, h.issuer.tokenFor('reseller', A));
    expect(files.body.items).toEqual([expect.objectContaining({ filename: 'boom.png' })]);
  });
});
