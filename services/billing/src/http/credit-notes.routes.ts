import { CreditNoteList, CreditNoteResult } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type CreditNotesService } from '../domain/credit-notes.service';
import { invoiceNotFound } from '../domain/errors';
import { CreditNoteInput } from '../domain/inputs';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf } from './request';

/** Credit notes of an invoice: staff issue them, whoever may see the invoice reads them. */
export function creditNotesRoutes(deps: { creditNotes: CreditNotesService }) {
  const { creditNotes } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/invoices/:id/credit-notes',
    { authenticated: true },
    { summary: 'The credit notes of an invoice', query: TenantQuery, responses: { 200: CreditNoteList } },
    async (req, res, auth) => {
      const items = await creditNotes.list(auth, idOf(req, invoiceNotFound), tenantOf(req));
      res.json({ items });
    },
  );
  routes.post(
    '/v1/invoices/:id/credit-notes',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Credit a paid invoice to the client’s account credit (Idempotency-Key honoured)',
      query: TenantQuery,
      body: CreditNoteInput,
      responses: { 201: CreditNoteResult },
    },
    async (req, res, auth) => {
      const id = idOf(req, invoiceNotFound);
      const input = bodyOf(req, CreditNoteInput);
      sendAnswer(res, await creditNotes.issue(auth, id, input, idempotencyKeyOf(req), tenantOf(req)));
    },
  );
  return routes;
}
