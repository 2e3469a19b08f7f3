import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export interface StoredGateway {
  tenantId: string;
  secretKeyEnc: string;
  webhookSecretEnc: string;
  secretKeyHint: string;
  publishableKey: string | null;
}

export async function saveStripeGateway(tx: Tx, scope: TenantScope, g: Omit<StoredGateway, 'tenantId'>) {
  await tx.execute(sql`
    insert into payment_gateways (tenant_id, provider, secret_key_enc, webhook_secret_enc, secret_key_hint,
                                  publishable_key)
    values (${writeTenant(scope)}, 'stripe', ${g.secretKeyEnc}, ${g.webhookSecretEnc}, ${g.secretKeyHint},
            ${g.publishableKey})
    on conflict (tenant_id, provider) do update set secret_key_enc = excluded.secret_key_enc,
      webhook_secret_enc = excluded.webhook_secret_enc, secret_key_hint = excluded.secret_key_hint,
      publishable_key = excluded.publishable_key, updated_at = now()`);
}

/** The tenant's own Stripe account, never another's (no fallback to the platform's). */
export async function findStripeGateway(tx: Tx, scope: TenantScope): Promise<StoredGateway | null> {
  const [r] = await rows<{
    tenant_id: string;
    secret_key_enc: string;
    webhook_secret_enc: string;
    secret_key_hint: string;
    publishable_key: string | null;
  }>(tx, sql`select * from payment_gateways where ${tenantIs(scope)} and provider = 'stripe'`);
  return r
    ? {
        tenantId: r.tenant_id,
        secretKeyEnc: r.secret_key_enc,
        webhookSecretEnc: r.webhook_secret_enc,
        secretKeyHint: r.secret_key_hint,
        publishableKey: r.publishable_key,
      }
    : null;
}

export async function recordAttempt(
  tx: Tx,
  scope: TenantScope,
  a: { ref: string; invoiceId: string; amount: bigint; currency: string },
): Promise<void> {
  await tx.execute(sql`
    insert into payment_attempts (tenant_id, provider_ref, invoice_id, amount, currency, status)
    values (${writeTenant(scope)}, ${a.ref}, ${a.invoiceId}, ${a.amount.toString()}::bigint, ${a.currency}, 'pending')
    on conflict do nothing`);
}

export async function findAttempt(tx: Tx, scope: TenantScope, ref: string) {
  const [r] = await rows<{ invoice_id: string; currency: string; status: string }>(
    tx,
    sql`select invoice_id, currency, status from payment_attempts where ${tenantIs(scope)} and provider_ref = ${ref}`,
  );
  return r ? { invoiceId: r.invoice_id, currency: r.currency, status: r.status } : null;
}

export async function setAttemptStatus(
  tx: Tx,
  scope: TenantScope,
  ref: string,
  status: 'succeeded' | 'failed',
) {
  await tx.execute(sql`
    update payment_attempts set status = ${status}, updated_at = now()
     where ${tenantIs(scope)} and provider_ref = ${ref} and status = 'pending'`);
}

/** Claims a Stripe event id for the tenant; false when it was already applied (a redelivery or replay). */
export async function claimStripeEvent(tx: Tx, scope: TenantScope, eventId: string, type: string) {
  const r = await rows<{ event_id: string }>(
    tx,
    sql`insert into stripe_events (tenant_id, event_id, type) values (${writeTenant(scope)}, ${eventId}, ${type})
        on conflict do nothing returning event_id`,
  );
  return r.length > 0;
}
