import { type AuthContext } from '@geminis/service-kit';
import { OrderInput } from './domain/inputs';
import { type BillingServices } from './service';

export interface BillingDemoInput {
  /** The client's tenant (the platform or a reseller). */
  tenantId: string;
  /** A demo client and an access token of its own (catalog prices its orders as it, like any order). */
  client: { id: string; token: string };
  /** A staff user of that tenant (a reseller's user, or an admin for the platform's clients). */
  staff: { id: string; role: 'admin' | 'reseller' };
  /** A product on sale monthly in the client's currency in that tenant's storefront. */
  productId: string;
  /** The orders' domains are `<prefix>-1.example`, `-2`, `-3` (default `demo`). */
  domainPrefix?: string;
}

export interface BillingDemo {
  /** Paid with account credit the staff deposited. */
  paidByCredit: string;
  /** Left unpaid. */
  unpaid: string;
  /** Paid by a manual payment, then partly credited back with a credit note. */
  credited: string;
}

const SEED_TOKEN = 'demo-seed';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Demo invoices for one client through billing's own use cases, each step with an Idempotency-Key, so a
 * second start replays the same answers instead of adding more: an order paid with account credit, an
 * unpaid order, and an order paid by hand with a credit note. The client must be known to billing
 * (identity's client.created.v1 consumed): it waits for it up to ~10 s.
 */
export async function seedBillingDemo(
  services: BillingServices,
  demo: BillingDemoInput,
): Promise<BillingDemo> {
  const client: AuthContext = {
    userId: demo.client.id,
    role: 'client',
    tenantId: demo.tenantId,
    tokenId: SEED_TOKEN,
    issuedAt: 0,
  };
  const staff: AuthContext = {
    userId: demo.staff.id,
    role: demo.staff.role,
    tenantId: demo.tenantId,
    tokenId: SEED_TOKEN,
    issuedAt: 0,
  };
  const tenant = demo.staff.role === 'admin' ? demo.tenantId : undefined;
  // Each hosting order names its domain: provisioning creates no hosting account without one, and a paid
  // order would otherwise leave a failed job in the demo.
  const order = async (n: number) => {
    const key = `demo-seed-order-${n}`;
    const place = async (item: Record<string, unknown>) =>
      (await services.orders.place(client, demo.client.token, OrderInput.parse({ items: [item] }), key)).body;
    const item = { productId: demo.productId, cycle: 'monthly' };
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await place({ ...item, domain: `${demo.domainPrefix ?? 'demo'}-${n}.example` });
      } catch (err) {
        const code = (err as { code?: string }).code;
        // A data directory seeded before the orders had domains: its key replays the order it placed then.
        if (code === 'billing.idempotency_key_reused') return place(item);
        if (code !== 'billing.client_unknown' || attempt >= 100) throw err;
        await sleep(100);
      }
    }
  };
  const invoiceOf = async (id: string) => services.invoices.get(staff, id, tenant);

  const first = await order(1);
  const firstInvoice = await invoiceOf(first.invoiceId);
  await services.payments.deposit(
    staff,
    demo.client.id,
    { amount: Number(firstInvoice.total), currency: firstInvoice.currency, description: 'Demo credit' },
    'demo-seed-credit-1',
    tenant,
  );
  await services.payments.applyCredit(client, first.invoiceId, {}, 'demo-seed-apply-1');

  const second = await order(2);

  const third = await order(3);
  const thirdInvoice = await invoiceOf(third.invoiceId);
  await services.payments.record(
    staff,
    third.invoiceId,
    { amount: Number(thirdInvoice.total), method: 'bank_transfer', reference: 'DEMO-TRANSFER-1' },
    'demo-seed-payment-3',
    tenant,
  );
  await services.creditNotes.issue(
    staff,
    third.invoiceId,
    {
      amount: Math.min(100, Number(thirdInvoice.total)),
      reason: 'Demo: goodwill credit',
      refundTo: 'credit',
    },
    'demo-seed-credit-note-3',
    tenant,
  );
  return { paidByCredit: first.invoiceId, unpaid: second.invoiceId, credited: third.invoiceId };
}
