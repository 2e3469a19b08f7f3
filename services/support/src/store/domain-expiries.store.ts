import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** Records a domain's expiry unless a newer announcement (by event time) is already recorded. */
export async function recordDomainExpiry(
  tx: Tx,
  scope: SingleTenantScope,
  d: { domainServiceId: string; domain: string; expiresAt: string; asOf: string },
): Promise<void> {
  await tx.execute(
    sql`insert into domain_expiries (tenant_id, domain_service_id, domain, expires_at, as_of)
        values (${writeTenant(scope)}, ${d.domainServiceId}, ${d.domain}, ${d.expiresAt}, ${d.asOf})
        on conflict (tenant_id, domain_service_id) do update
          set domain = excluded.domain, expires_at = excluded.expires_at, as_of = excluded.as_of
          where domain_expiries.as_of <= excluded.as_of`,
  );
}

export interface ExpiringDomain {
  tenantId: string;
  domainServiceId: string;
  domain: string;
  expiresAt: Date;
  clientId: string;
}

/** Domains (with their client, as billing named it) expiring after `from` and at most `until`. */
export async function domainsExpiringBetween(
  tx: Tx,
  scope: TenantScope,
  from: Date,
  until: Date,
): Promise<ExpiringDomain[]> {
  const found = await rows<{
    tenant_id: string;
    domain_service_id: string;
    domain: string;
    expires_at: Date | string;
    client_id: string;
  }>(
    tx,
    sql`select e.tenant_id, e.domain_service_id, e.domain, e.expires_at, c.client_id
        from domain_expiries e
        join domain_service_clients c
          on c.tenant_id = e.tenant_id and c.domain_service_id = e.domain_service_id
        where ${tenantIs(scope, sql`e.tenant_id`)} and e.expires_at > ${from} and e.expires_at <= ${until}
        order by e.expires_at, e.tenant_id, e.domain_service_id`,
  );
  return found.map((r) => ({
    tenantId: r.tenant_id,
    domainServiceId: r.domain_service_id,
    domain: r.domain,
    expiresAt: new Date(r.expires_at),
    clientId: r.client_id,
  }));
}
