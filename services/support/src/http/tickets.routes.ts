import { TicketDetail, TicketPage } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { ticketNotFound } from '../domain/errors';
import { ReplyInput, TicketInput, TicketPatch, TicketQuery } from '../domain/inputs';
import { type TicketsService } from '../domain/tickets.service';
import { ANYONE, bodyOf, idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { ticketDetailView, ticketView } from './views';

/** Tickets: clients open and follow their own; staff answer, note, assign, tag, move, close and delete. */
export function ticketsRoutes(deps: { tickets: TicketsService }) {
  const { tickets } = deps;
  const routes = createRoutes();
  const id = (req: Parameters<typeof idOf>[0]) => idOf(req, ticketNotFound);

  routes.get(
    '/v1/support/tickets',
    ANYONE,
    {
      summary: 'List tickets, newest first, a page at a time (clients: their own)',
      query: TicketQuery,
      responses: { 200: TicketPage },
    },
    async (req, res, auth) => {
      const page = await tickets.list(auth, queryOf(req, TicketQuery));
      res.json({
        items: page.items.map((t) => ticketView(t, auth.role !== 'client')),
        nextCursor: page.nextCursor,
      });
    },
  );
  routes.post(
    '/v1/support/tickets',
    ANYONE,
    {
      summary: 'Open a ticket (a client for itself; staff for the client named by clientId)',
      query: TenantQuery,
      body: TicketInput,
      responses: { 201: TicketDetail },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, TicketInput);
      res.status(201).json(ticketDetailView(await tickets.open(auth, input, tenantOf(req))));
    },
  );
  routes.get(
    '/v1/support/tickets/:id',
    ANYONE,
    {
      summary: 'A ticket with its messages (internal notes for staff only)',
      query: TenantQuery,
      responses: { 200: TicketDetail },
    },
    async (req, res, auth) => {
      res.json(ticketDetailView(await tickets.get(auth, id(req), tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/tickets/:id/replies',
    ANYONE,
    { summary: 'Reply to a ticket', query: TenantQuery, body: ReplyInput, responses: { 201: TicketDetail } },
    async (req, res, auth) => {
      const { message } = bodyOf(req, ReplyInput);
      res.status(201).json(ticketDetailView(await tickets.reply(auth, id(req), message, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/tickets/:id/notes',
    STAFF,
    {
      summary: 'Add an internal note (never shown to the client)',
      query: TenantQuery,
      body: ReplyInput,
      responses: { 201: TicketDetail },
    },
    async (req, res, auth) => {
      const { message } = bodyOf(req, ReplyInput);
      res.status(201).json(ticketDetailView(await tickets.note(auth, id(req), message, tenantOf(req))));
    },
  );
  routes.patch(
    '/v1/support/tickets/:id',
    STAFF,
    {
      summary: 'Change a ticket (status open/on hold, priority, assignee, department, tags)',
      query: TenantQuery,
      body: TicketPatch,
      responses: { 200: TicketDetail },
    },
    async (req, res, auth) => {
      const patch = bodyOf(req, TicketPatch);
      res.json(ticketDetailView(await tickets.update(auth, id(req), patch, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/tickets/:id/close',
    ANYONE,
    { summary: 'Close a ticket', query: TenantQuery, responses: { 200: TicketDetail } },
    async (req, res, auth) => {
      res.json(ticketDetailView(await tickets.close(auth, id(req), tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/tickets/:id/reopen',
    ANYONE,
    { summary: 'Reopen a closed ticket', query: TenantQuery, responses: { 200: TicketDetail } },
    async (req, res, auth) => {
      res.json(ticketDetailView(await tickets.reopen(auth, id(req), tenantOf(req))));
    },
  );
  routes.delete(
    '/v1/support/tickets/:id',
    STAFF,
    { summary: 'Delete a ticket and its messages', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await tickets.remove(auth, id(req), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
