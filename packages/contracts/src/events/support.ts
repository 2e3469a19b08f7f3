import { z } from 'zod';
import { defineEvent } from '../registry';
import { Id } from './common';

export const TicketPriority = z.enum(['low', 'medium', 'high', 'urgent']);
export const TicketStatus = z.enum(['open', 'answered', 'customer_reply', 'on_hold', 'closed']);

export const TicketOpened = defineEvent(
  'support.ticket.opened.v1',
  'A support ticket was opened (by its client, by staff for a client, or by the system for a notice ' +
    'such as a suspension). ' +
    'tenantId = the client’s tenant. Carries no message text: read it from support.',
  z.object({
    ticketId: Id,
    clientId: Id,
    /** null for a system notice, which belongs to no department. */
    departmentId: Id.nullable(),
    priority: TicketPriority,
    openedBy: z.enum(['client', 'staff', 'system']),
    relatedServiceId: Id.optional(),
    relatedInvoiceId: Id.optional(),
  }),
);

export const TicketReplied = defineEvent(
  'support.ticket.replied.v1',
  'A reply was added to a ticket by its client or by staff (internal notes are never published). ' +
    'status = the ticket’s status after the reply.',
  z.object({
    ticketId: Id,
    messageId: Id,
    clientId: Id,
    author: z.enum(['client', 'staff']),
    status: TicketStatus,
  }),
);

export const WebhookEndpointDisabled = defineEvent(
  'support.webhook_endpoint.disabled.v1',
  'A tenant’s outbound webhook endpoint was disabled after failing `consecutiveFailures` deliveries in a ' +
    'row; its pending deliveries wait until staff enable it again. tenantId = the endpoint’s tenant. ' +
    'Carries no URL (it may hold a token) and no secret: read the endpoint from support.',
  z.object({
    endpointId: Id,
    consecutiveFailures: z.number().int().positive(),
    /** The last attempt's HTTP status, or null when no answer came (refused, timed out). */
    lastStatusCode: z.number().int().nullable(),
    reason: z.string().max(500),
    disabledAt: z.iso.datetime(),
  }),
);

export const supportEvents = [TicketOpened, TicketReplied, WebhookEndpointDisabled] as const;
