import type PDFKit from 'pdfkit';
import { type Invoice, type InvoiceStatus } from '../store/invoices.store';
import { formatMinor } from './money';

/** Who issues the invoice, as its tenant brands it. */
export interface Seller {
  name: string;
  address: string | null;
  taxId: string | null;
  /** `#rrggbb`, the band at the top; the platform's blue when the tenant set none. */
  color: string | null;
}

/** The buyer as the invoice's snapshot recorded it at issue time. */
export interface Buyer {
  name: string;
  email: string;
  country?: string | null;
  region?: string | null;
  vatId?: string | null;
}

export interface InvoicePdfInput {
  invoice: Invoice & { taxNote: string | null };
  seller: Seller;
  buyer: Buyer;
}

const STATUS_LABEL: Record<InvoiceStatus, string> = {
  draft: 'DRAFT',
  unpaid: 'UNPAID',
  partially_paid: 'PARTIALLY PAID',
  paid: 'PAID',
  cancelled: 'CANCELLED',
  refunded: 'REFUNDED',
};

const DEFAULT_COLOR = '#1f4e8c';
const pct = (bps: number) => `${(bps / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

function openDocument(title: string, seller: Seller, subject: string, options: { compress?: boolean }) {
  // pdfkit (fonts, its dependencies) is loaded on the first PDF, not at every service start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const PDFDocument = require('pdfkit') as typeof PDFKit;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    compress: options.compress ?? true,
    info: { Title: title, Author: seller.name, Subject: subject },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const left = 50;
  const right = doc.page.width - 50;
  return { doc, done, left, right, width: right - left, color: seller.color ?? DEFAULT_COLOR };
}
type Page = ReturnType<typeof openDocument>;

/** The brand band with the seller and the document's kind, its facts on the right, the buyer below. */
function header(p: Page, kind: string, seller: Seller, facts: [string, string][], buyer: Buyer): number {
  const { doc, left, right, width, color } = p;
  doc.rect(0, 0, doc.page.width, 90).fill(color);
  doc
    .fillColor('#ffffff')
    .font('Helvetica-Bold')
    .fontSize(20)
    .text(seller.name, left, 30, { width: width - 160 });
  doc
    .font('Helvetica-Bold')
    .fontSize(16)
    .text(kind, right - 150, 30, { width: 150, align: 'right' });
  doc.fillColor('#000000').font('Helvetica').fontSize(9);
  let y = 105;
  if (seller.address) {
    doc.text(seller.address, left, y, { width: 250 });
    y = doc.y;
  }
  if (seller.taxId) doc.text(`Tax ID: ${seller.taxId}`, left, y, { width: 250 });
  let fy = 105;
  for (const [label, value] of facts) {
    doc.font('Helvetica').text(label, right - 220, fy, { width: 100 });
    doc.font('Helvetica-Bold').text(value, right - 120, fy, { width: 120, align: 'right' });
    fy += 14;
  }
  y = Math.max(doc.y, fy) + 20;
  doc.font('Helvetica-Bold').fontSize(10).text('Bill to', left, y);
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(buyer.name, left, doc.y + 2);
  doc.text(buyer.email);
  const place = [buyer.region, buyer.country].filter(Boolean).join(', ');
  if (place) doc.text(place);
  if (buyer.vatId) doc.text(`VAT ID: ${buyer.vatId}`);
  return doc.y;
}

/** The currency line at the bottom; ends the document. */
function footer(p: Page, currency: string) {
  p.doc
    .font('Helvetica')
    .fontSize(8)
    .fillColor('#666666')
    .text(`Amounts in ${currency}.`, p.left, p.doc.page.height - 70, { width: p.width, align: 'center' });
  p.doc.end();
}

/**
 * The invoice as a PDF (pdfkit, its built-in Helvetica: no font files to ship), in the seller's brand:
 * seller block, buyer block, number, dates, payment status, one row per line (quantity, unit price, tax,
 * total), the totals and the tax note (reverse charge, exemption). Amounts are the stored integer minor
 * units printed with the currency's exponent — never through a float. `compress: false` leaves the page
 * content readable.
 */
export function renderInvoicePdf(
  input: InvoicePdfInput,
  options: { compress?: boolean } = {},
): Promise<Buffer> {
  const { invoice: inv, seller, buyer } = input;
  const money = (v: bigint) => formatMinor(v, inv.currency);
  const number = inv.number ?? 'draft';
  const page = openDocument(`Invoice ${number}`, seller, `Invoice ${number} for ${buyer.name}`, options);
  const { doc, done, left, right, width, color } = page;
  const end = header(
    page,
    'INVOICE',
    seller,
    [
      ['Invoice number', number],
      ['Issued', inv.issuedAt.slice(0, 10)],
      ['Due', inv.dueDate],
      ...(inv.paidAt ? ([['Paid', inv.paidAt.slice(0, 10)]] as [string, string][]) : []),
      ['Status', STATUS_LABEL[inv.status]],
    ],
    buyer,
  );
  let y = end + 20;

  // lines
  const cols = { description: left, qty: left + 250, unit: left + 290, tax: left + 370, total: left + 430 };
  const colWidth = { description: 245, qty: 35, unit: 75, tax: 55, total: width - 430 };
  doc.rect(left, y - 4, width, 18).fill(color);
  doc.fillColor('#ffffff').font('Helvetica-Bold').fontSize(9);
  doc.text('Description', cols.description + 4, y, { width: colWidth.description });
  doc.text('Qty', cols.qty, y, { width: colWidth.qty, align: 'right' });
  doc.text('Unit price', cols.unit, y, { width: colWidth.unit, align: 'right' });
  doc.text('Tax', cols.tax, y, { width: colWidth.tax, align: 'right' });
  doc.text('Total', cols.total, y, { width: colWidth.total, align: 'right' });
  doc.fillColor('#000000').font('Helvetica');
  y += 20;
  for (const l of inv.lines) {
    if (y > doc.page.height - 200) {
      doc.addPage();
      y = 50;
    }
    const period = l.periodStart && l.periodEnd ? `\n${l.periodStart} to ${l.periodEnd}` : '';
    const extras = [
      l.setupFee > 0n ? `setup ${money(l.setupFee)}` : '',
      l.discount > 0n ? `discount -${money(l.discount)}` : '',
    ].filter(Boolean);
    const description = `${l.description}${period}${extras.length ? `\n${extras.join(', ')}` : ''}`;
    const height = doc.heightOfString(description, { width: colWidth.description });
    doc.text(description, cols.description + 4, y, { width: colWidth.description });
    doc.text(String(l.quantity), cols.qty, y, { width: colWidth.qty, align: 'right' });
    doc.text(money(l.unitPrice), cols.unit, y, { width: colWidth.unit, align: 'right' });
    doc.text(money(l.tax), cols.tax, y, { width: colWidth.tax, align: 'right' });
    doc.text(money(l.total), cols.total, y, { width: colWidth.total, align: 'right' });
    y += Math.max(height, 12) + 8;
    doc
      .moveTo(left, y - 4)
      .lineTo(right, y - 4)
      .strokeColor('#dddddd')
      .stroke();
  }

  // totals
  const totals: [string, string, boolean][] = [
    ['Subtotal', money(inv.subtotal), false],
    [`${inv.taxName} (${pct(inv.taxRateBps)})`, money(inv.taxTotal), false],
    ['Total', money(inv.total), true],
    ['Paid', money(inv.amountPaid), false],
    ['Balance due', money(inv.total - inv.amountPaid), true],
  ];
  y += 6;
  for (const [label, value, bold] of totals) {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(bold ? 10 : 9);
    doc.text(label, right - 260, y, { width: 140 });
    doc.text(value, right - 120, y, { width: 120, align: 'right' });
    y += 15;
  }
  if (inv.taxNote) {
    doc
      .font('Helvetica-Oblique')
      .fontSize(9)
      .text(inv.taxNote, left, y + 10, { width });
  }
  footer(page, inv.currency);
  return done;
}

/** A credit note against an invoice, as a PDF in the same brand: number, date, invoice, amount, reason, refund. */
export function renderCreditNotePdf(
  input: {
    note: {
      number: string;
      createdAt: string;
      amount: bigint;
      currency: string;
      reason: string;
      refundTo: string;
    };
    invoice: { number: string | null; issuedAt: string; total: bigint };
    seller: Seller;
    buyer: Buyer;
  },
  options: { compress?: boolean } = {},
): Promise<Buffer> {
  const { note, invoice, seller, buyer } = input;
  const money = (v: bigint) => formatMinor(v, note.currency);
  const page = openDocument(
    `Credit note ${note.number}`,
    seller,
    `Credit note ${note.number} for ${buyer.name}`,
    options,
  );
  const { doc, done, left, right, width, color } = page;
  let y =
    header(
      page,
      'CREDIT NOTE',
      seller,
      [
        ['Credit note number', note.number],
        ['Issued', note.createdAt.slice(0, 10)],
        ['Against invoice', invoice.number ?? 'draft'],
        ['Invoice date', invoice.issuedAt.slice(0, 10)],
      ],
      buyer,
    ) + 20;
  doc.rect(left, y - 4, width, 18).fill(color);
  doc.fillColor('#ffffff').font('Helvetica-Bold').fontSize(9);
  doc.text('Reason', left + 4, y, { width: 300 });
  doc.text('Credited', right - 150, y, { width: 150, align: 'right' });
  doc.fillColor('#000000').font('Helvetica');
  y += 20;
  doc.text(note.reason, left + 4, y, { width: 300 });
  const below = doc.y;
  doc.text(money(note.amount), right - 150, y, { width: 150, align: 'right' });
  y = Math.max(below, y + 12) + 16;
  doc.text(`Invoice total ${money(invoice.total)}`, right - 260, y, { width: 260, align: 'right' });
  doc.font('Helvetica-Bold').fontSize(10);
  doc.text(`Total credited ${money(note.amount)}`, right - 260, y + 15, { width: 260, align: 'right' });
  const to = note.refundTo === 'stripe' ? 'to the card the invoice was paid with' : 'to the account credit';
  doc
    .font('Helvetica')
    .fontSize(9)
    .text(`Refunded ${to}.`, left, y + 40, { width });
  footer(page, note.currency);
  return done;
}
