import { InvoiceList, InvoiceView, PaymentList, PaymentResult } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type Response } from 'express';
import { creditNoteNotFound, invoiceNotFound } from '../domain/errors';
import { ApplyCreditInput, PaymentInput } from '../domain/inputs';
import { type InvoicesService } from '../domain/invoices.service';
import { type LateFees } from '../domain/late-fees.service';
import { type PaymentsService } from '../domain/payments.service';
import { invoiceView, paymentView } from '../domain/views';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf } from './request';

const STAFF = { roles: ['admin', 'reseller'] as const };

/** A PDF download: named by its number, never rendered inline, never cached by a proxy. */
function sendPdf(res: Response, doc: { number: string; pdf: Buffer }) {
  const filename = `${doc.number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
  res
    .status(200)
    .set({
      'content-type': 'application/pdf',
      'content-length': String(doc.pdf.length),
      'content-disposition': `attachment; filename="${filename}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    })
    .end(doc.pdf);
}

/** Invoices and their payments (manual payments by staff; account credit by the client or staff). */
export function invoicesRoutes(deps: {
  invoices: InvoicesService;
  payments: PaymentsService;
  lateFees: LateFees;
}) {
  const { invoices, payments, lateFees } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/invoices',
    { authenticated: true },
    { summary: 'List invoices', query: TenantQuery, responses: { 200: InvoiceList } },
    async (req, res, auth) => {
      res.json({ items: (await invoices.list(auth, tenantOf(req))).map(invoiceView) });
    },
  );
  routes.get(
    '/v1/invoices/:id',
    { authenticated: true },
    { summary: 'An invoice with its lines', query: TenantQuery, responses: { 200: InvoiceView } },
    async (req, res, auth) => {
      res.json(invoiceView(await invoices.get(auth, idOf(req, invoiceNotFound), tenantOf(req))));
    },
  );
  routes.get(
    '/v1/invoices/:id/pdf',
    { authenticated: true },
    {
      summary: 'The invoice as a PDF in its tenant’s brand (application/pdf)',
      query: TenantQuery,
      responses: { 200: null },
    },
    async (req, res, auth) => {
      sendPdf(res, await invoices.pdf(auth, idOf(req, invoiceNotFound), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/invoices/:id/credit-notes/:noteId/pdf',
    { authenticated: true },
    {
      summary: 'A credit note of the invoice as a PDF in its tenant’s brand (application/pdf)',
      query: TenantQuery,
      responses: { 200: null },
    },
    async (req, res, auth) => {
      const id = idOf(req, invoiceNotFound);
      const noteId = idOf(req, creditNoteNotFound, 'noteId');
      sendPdf(res, await invoices.creditNotePdf(auth, id, noteId, tenantOf(req)));
    },
  );
  routes.get(
    '/v1/invoices/:id/payments',
    { authenticated: true },
    { summary: 'The payments of an invoice', query: TenantQuery, responses: { 200: PaymentList } },
    async (req, res, auth) => {
      const items = await payments.payments(auth, idOf(req, invoiceNotFound), tenantOf(req));
      res.json({ items: items.map(paymentView) });
    },
  );
  routes.post(
    '/v1/invoices/:id/payments',
    STAFF,
    {
      summary: 'Record a manual or bank-transfer payment (Idempotency-Key honoured)',
      query: TenantQuery,
      body: PaymentInput,
      responses: { 201: PaymentResult },
    },
    async (req, res, auth) => {
      const id = idOf(req, invoiceNotFound);
      const input = bodyOf(req, PaymentInput);
      sendAnswer(res, await payments.record(auth, id, input, idempotencyKeyOf(req), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/invoices/:id/apply-credit',
    { authenticated: true },
    {
      summary: 'Pay an invoice from the client’s account credit (Idempotency-Key honoured)',
      query: TenantQuery,
      body: ApplyCreditInput,
      responses: { 201: PaymentResult },
    },
    async (req, res, auth) => {
      const id = idOf(req, invoiceNotFound);
      const input = bodyOf(req, ApplyCreditInput);
      sendAnswer(res, await payments.applyCredit(auth, id, input, idempotencyKeyOf(req), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/invoices/:id/waive-late-fee',
    STAFF,
    {
      summary: 'Waive the late fee dunning added to an invoice (it is never added again)',
      query: TenantQuery,
      responses: { 200: InvoiceView },
    },
    async (req, res, auth) => {
      res.json(invoiceView(await lateFees.waive(auth, idOf(req, invoiceNotFound), tenantOf(req))));
    },
  );
  return routes;
}
