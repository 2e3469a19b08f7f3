import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { findClient } from '../store/clients.store';
import { listCreditNotes } from '../store/credit-notes.store';
import { findInvoice, listInvoices } from '../store/invoices.store';
import { getSettings } from '../store/settings.store';
import { viewerOf } from './context';
import { creditNoteNotFound, invoiceNotFound } from './errors';
import { renderCreditNotePdf, renderInvoicePdf, type Seller } from './invoice-pdf';

/** The platform's own name on its invoices when it set no seller name. */
const PLATFORM_BRAND = 'Geminis';

/** Reading invoices: clients their own, resellers their tenant's, admins all (or one they name). */
export function createInvoicesService(deps: { db: Database }) {
  const { db } = deps;

  async function get(auth: AuthContext, id: string, tenantId?: string) {
    const v = viewerOf(auth, tenantId);
    const invoice = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, id, v.clientId));
    if (!invoice) throw invoiceNotFound();
    return invoice;
  }

  /**
   * The seller block of a tenant's invoices: its billing settings (name, address, tax id, colour); without a
   * name, its brand as billing heard it from identity (a reseller is a client of the platform's tenant,
   * named by its brand), else the platform's.
   */
  async function sellerOf(tenantId: string): Promise<Seller> {
    const scope = tenantScope(tenantId);
    const settings = await db.withTenant(scope, (tx) => getSettings(tx, tenantId));
    let name = settings.sellerName;
    if (!name && tenantId !== PLATFORM_TENANT_ID) {
      const platform = tenantScope(PLATFORM_TENANT_ID);
      name = (await db.withTenant(platform, (tx) => findClient(tx, platform, tenantId)))?.name ?? null;
    }
    return {
      name: name ?? PLATFORM_BRAND,
      address: settings.sellerAddress,
      taxId: settings.sellerTaxId,
      color: settings.brandColor,
    };
  }

  return {
    async list(auth: AuthContext, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, (tx) => listInvoices(tx, v.scope, v.clientId));
    },
    get,
    /** The invoice as a PDF in its tenant's brand, for whoever may read the invoice (else the same 404). */
    async pdf(auth: AuthContext, id: string, tenantId?: string): Promise<{ number: string; pdf: Buffer }> {
      const invoice = await get(auth, id, tenantId);
      const seller = await sellerOf(invoice.tenantId);
      const pdf = await renderInvoicePdf({ invoice, seller, buyer: invoice.buyer });
      return { number: invoice.number ?? invoice.id, pdf };
    },
    /** A credit note of an invoice as a PDF, for whoever may read the invoice (else the same 404s). */
    async creditNotePdf(
      auth: AuthContext,
      invoiceId: string,
      noteId: string,
      tenantId?: string,
    ): Promise<{ number: string; pdf: Buffer }> {
      const invoice = await get(auth, invoiceId, tenantId);
      const scope = tenantScope(invoice.tenantId);
      const notes = await db.withTenant(scope, (tx) => listCreditNotes(tx, scope, invoice.id));
      const note = notes.find((n) => n.id === noteId);
      if (!note) throw creditNoteNotFound();
      const seller = await sellerOf(invoice.tenantId);
      const pdf = await renderCreditNotePdf({ note, invoice, seller, buyer: invoice.buyer });
      return { number: note.number, pdf };
    },
  };
}

export type InvoicesService = ReturnType<typeof createInvoicesService>;
