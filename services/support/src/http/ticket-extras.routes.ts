import { AttachmentList, AttachmentView, RatingView, TicketDetail } from '@geminis/contracts';
import { createRoutes, ValidationError } from '@geminis/service-kit';
import { attachmentNotFound, ticketNotFound } from '../domain/errors';
import { AttachmentQuery, MergeInput, RatingInput } from '../domain/inputs';
import { type TicketExtrasService } from '../domain/ticket-extras.service';
import { type TicketsService } from '../domain/tickets.service';
import { type Attachment } from '../store/attachments.store';
import { ANYONE, bodyOf, idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { ticketDetailView } from './views';

export const ATTACHMENT_UPLOAD_PATH = '/v1/support/attachments';

const attachmentView = (a: Attachment): AttachmentView => ({
  id: a.id,
  ticketId: a.ticketId,
  filename: a.filename,
  contentType: a.contentType,
  size: a.size,
  sha256: a.sha256,
  author: a.author,
  createdAt: a.createdAt.toISOString(),
});

/** Attachments (raw bytes up, sniffed type down), merging tickets, and the client's rating. */
export function ticketExtrasRoutes(deps: { tickets: TicketsService; ticketExtras: TicketExtrasService }) {
  const { tickets, ticketExtras } = deps;
  const routes = createRoutes();
  const ticketId = (req: Parameters<typeof idOf>[0]) => idOf(req, ticketNotFound);

  routes.post(
    ATTACHMENT_UPLOAD_PATH,
    ANYONE,
    {
      summary:
        'Attach a file to a ticket: the raw bytes as the body (PNG, JPEG, GIF, WebP, PDF or plain text, sniffed)',
      query: AttachmentQuery,
      responses: { 201: AttachmentView },
    },
    async (req, res, auth) => {
      const q = queryOf(req, AttachmentQuery);
      if (!Buffer.isBuffer(req.body))
        throw new ValidationError(
          'support.attachment_missing',
          'invalid request: file: send the file as the body',
          {
            fieldErrors: [{ field: 'file', message: 'send the file as the body' }],
          },
        );
      const a = await ticketExtras.attach(
        auth,
        q.ticketId,
        { filename: q.filename, data: req.body },
        q.tenantId,
      );
      res.status(201).json(attachmentView(a));
    },
  );
  routes.get(
    '/v1/support/attachments/:id',
    ANYONE,
    {
      summary: 'Download an attachment (as a file, never rendered inline)',
      query: TenantQuery,
      responses: { 200: null },
    },
    async (req, res, auth) => {
      const a = await ticketExtras.download(auth, idOf(req, attachmentNotFound), tenantOf(req));
      res
        .status(200)
        .set({
          'content-type': a.contentType,
          'content-length': String(a.size),
          'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
        })
        .end(a.data);
    },
  );
  routes.get(
    '/v1/support/tickets/:id/attachments',
    ANYONE,
    { summary: 'A ticket’s attachments', query: TenantQuery, responses: { 200: AttachmentList } },
    async (req, res, auth) => {
      res.json({ items: (await ticketExtras.list(auth, ticketId(req), tenantOf(req))).map(attachmentView) });
    },
  );
  routes.post(
    '/v1/support/tickets/:id/merge',
    STAFF,
    {
      summary: 'Merge a ticket into another of the same client (messages and attachments move; it closes)',
      query: TenantQuery,
      body: MergeInput,
      responses: { 200: TicketDetail },
    },
    async (req, res, auth) => {
      const { intoTicketId } = bodyOf(req, MergeInput);
      const target = await ticketExtras.merge(auth, ticketId(req), intoTicketId, tenantOf(req));
      res.json(ticketDetailView(await tickets.get(auth, target, tenantOf(req))));
    },
  );
  routes.put(
    '/v1/support/tickets/:id/rating',
    { roles: ['client'] as const },
    {
      summary: 'Rate a closed ticket (1–5, optional comment); rating again replaces it',
      body: RatingInput,
      responses: { 200: RatingView },
    },
    async (req, res, auth) => {
      const r = await ticketExtras.rate(auth, ticketId(req), bodyOf(req, RatingInput));
      res.json({ score: r.score, comment: r.comment, ratedAt: r.ratedAt.toISOString() });
    },
  );
  routes.get(
    '/v1/support/tickets/:id/rating',
    ANYONE,
    { summary: 'The client’s rating of a ticket', query: TenantQuery, responses: { 200: RatingView } },
    async (req, res, auth) => {
      const r = await ticketExtras.rating(auth, ticketId(req), tenantOf(req));
      res.json({ score: r.score, comment: r.comment, ratedAt: r.ratedAt.toISOString() });
    },
  );
  return routes;
}
