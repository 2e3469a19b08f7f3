import { type RegistrantContact } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, json, tenantIs, writeTenant } from './sql';

/** What the registrar needs for a domain client service (billing's copy; provisioning owns the domain). */
export interface DomainRegistration {
  serviceId: string;
  domain: string;
  tld: string;
  action: 'register' | 'transfer';
  years: number;
  nameservers: string[];
  privacy: boolean;
  registrant: RegistrantContact;
  /** Sealed with the tenant as associated data; null for a registration, and once the request was sent. */
  eppCodeSealed: string | null;
  registrar: string | null;
  expiresAt: string | null;
  requestedAt: string | null;
}

interface Row {
  service_id: string;
  domain: string;
  tld: string;
  action: 'register' | 'transfer';
  years: number;
  nameservers: string[];
  privacy: boolean;
  registrant: RegistrantContact;
  epp_code_sealed: string | null;
  registrar: string | null;
  expires_at: Date | null;
  requested_at: Date | null;
}

const toRegistration = (r: Row): DomainRegistration => ({
  serviceId: r.service_id,
  domain: r.domain,
  tld: r.tld,
  action: r.action,
  years: r.years,
  nameservers: r.nameservers,
  privacy: r.privacy,
  registrant: r.registrant,
  eppCodeSealed: r.epp_code_sealed,
  registrar: r.registrar,
  expiresAt: r.expires_at ? iso(r.expires_at) : null,
  requestedAt: r.requested_at ? iso(r.requested_at) : null,
});

export async function insertRegistration(
  tx: Tx,
  scope: TenantScope,
  d: Omit<DomainRegistration, 'registrar' | 'expiresAt' | 'requestedAt'>,
): Promise<void> {
  await tx.execute(sql`
    insert into domain_registrations (tenant_id, service_id, domain, tld, action, years, nameservers, privacy,
                                      registrant, epp_code_sealed)
    values (${writeTenant(scope)}, ${d.serviceId}, ${d.domain}, ${d.tld}, ${d.action}, ${d.years},
            ${json(d.nameservers)}, ${d.privacy}, ${json(d.registrant)}, ${d.eppCodeSealed})`);
}

export async function findRegistration(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
): Promise<DomainRegistration | null> {
  const [r] = await rows<Row>(
    tx,
    sql`select * from domain_registrations where ${tenantIs(scope)} and service_id = ${serviceId}`,
  );
  return r ? toRegistration(r) : null;
}

/** The request went to the outbox: the EPP code is forgotten (the outbox row carries it to provisioning). */
export async function markRequested(tx: Tx, scope: TenantScope, serviceId: string): Promise<void> {
  await tx.execute(sql`
    update domain_registrations set requested_at = now(), epp_code_sealed = null, updated_at = now()
     where ${tenantIs(scope)} and service_id = ${serviceId}`);
}

/**
 * The registrar's expiry becomes the service's: its next due date is the expiry's calendar date (UTC),
 * unless the service is over (terminated or cancelled). By service id, or by domain name when provisioning
 * only knows the name. Returns the services changed.
 */
export async function followExpiry(
  tx: Tx,
  scope: TenantScope,
  target: { serviceId: string } | { domain: string },
  expiresAt: string,
  registrar?: string,
): Promise<string[]> {
  const match =
    'serviceId' in target ? sql`d.service_id = ${target.serviceId}` : sql`d.domain = ${target.domain}`;
  const changed = await rows<{ service_id: string }>(
    tx,
    sql`update domain_registrations d
           set expires_at = ${expiresAt}::timestamptz, registrar = coalesce(${registrar ?? null}, d.registrar),
               updated_at = now()
          from client_services s
         where ${tenantIs(scope, sql`d.tenant_id`)} and ${match}
           and s.tenant_id = d.tenant_id and s.id = d.service_id
           and s.status not in ('terminated', 'cancelled')
        returning d.service_id`,
  );
  const ids = changed.map((c) => c.service_id);
  if (ids.length > 0)
    await tx.execute(sql`
      update client_services
         set next_due_date = (${expiresAt}::timestamptz at time zone 'UTC')::date, updated_at = now()
       where ${tenantIs(scope)} and id in (${sql.join(
         ids.map((id) => sql`${id}`),
         sql`, `,
       )})`);
  return ids;
}
