import { rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type BillingConfig } from '../../src/service';
import { client, newClient, openShop, startBilling, type Harness, type Shop } from './billing';

/** A controllable clock (the config's `now`): tests move it by whole days, never wait for time. */
export function testClock(start = '2026-03-01T10:00:00Z') {
  let at = new Date(start);
  return {
    now: () => new Date(at),
    set(date: string) {
      at = new Date(`${date}T10:00:00Z`);
    },
    today: () => at.toISOString().slice(0, 10),
  };
}
export type TestClock = ReturnType<typeof testClock>;

/** Billing with its lifecycle jobs driven by hand on a fake clock. */
export async function startLifecycle(clock: TestClock, config: Partial<BillingConfig> = {}) {
  return startBilling({ now: clock.now, lifecycleJobs: false, ...config });
}

export const jobsOf = (h: Harness) => h.billing.built.services.lifecycle;

/** A client's monthly Starter, ordered at the clock's date, paid and provisioned: active. */
export async function activeService(h: Harness, shop: Shop, extra: object = {}) {
  const api = client(h.url);
  const c = await newClient(h, shop.tenantId);
  const order = await api.post(
    '/v1/orders',
    { items: [{ productId: shop.productId, cycle: 'monthly', ...extra }] },
    c.token,
  );
  expect(order.status).toBe(201);
  const invoice = await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token);
  const paid = await api.post(
    `/v1/invoices/${order.body.invoiceId}/payments`,
    { amount: invoice.body.total },
    shop.resellerToken,
  );
  expect(paid.body.invoice.status).toBe('paid');
  const serviceId = order.body.serviceIds[0] as string;
  expect(
    await h.deliver('provisioning.service.provisioned.v1', shop.tenantId, {
      serviceId,
      clientId: c.id,
      module: 'cpanel',
      username: 'u1',
    }),
  ).toBe('ack');
  const service = async () => (await api.get(`/v1/client-services/${serviceId}`, c.token)).body;
  expect((await service()).status).toBe('active');
  return { client: c, serviceId, service, orderInvoiceId: order.body.invoiceId as string };
}

/** Every renewal invoice of a tenant (its own view, through the database), oldest number first. */
export async function renewalInvoices(h: Harness, tenantId: string) {
  return h.db.withTenant(tenantScope(tenantId), (tx) =>
    rows<{ id: string; number: string; service_id: string; total: string; due_date: string; status: string }>(
      tx,
      sql`select i.id, i.number, r.service_id, i.total::text, i.due_date::text, i.status
            from invoices i join service_renewals r on r.tenant_id = i.tenant_id and r.invoice_id = i.id
           where i.reason = 'renewal' order by i.number`,
    ),
  );
}

/** The outbox of a tenant in order (type and data), optionally only some types. */
export async function outboxInOrder(h: Harness, tenantId: string, types?: string[]) {
  const rs = await h.db.withTenant(tenantScope(tenantId), (tx) =>
    rows<{ type: string; envelope: { data: Record<string, unknown> } }>(
      tx,
      sql`select type, envelope from outbox where tenant_id = ${tenantId} order by created_at, id`,
    ),
  );
  return rs
    .filter((r) => !types || types.includes(r.type))
    .map((r) => ({ type: r.type, data: r.envelope.data }));
}

export { openShop };
