import { rows, tenantIs, writeTenant, type SingleTenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export type SmtpSecurity = 'tls' | 'starttls' | 'none';

/** A tenant's own SMTP server; the password only sealed. */
export interface SmtpSettings {
  tenantId: string;
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  passwordSealed: string | null;
  updatedAt: Date;
  lastTestAt: Date | null;
  lastTestOk: boolean | null;
  lastTestError: string | null;
}

interface Row {
  tenant_id: string;
  host: string;
  port: number;
  security: SmtpSecurity;
  username: string | null;
  password_sealed: string | null;
  updated_at: Date;
  last_test_at: Date | null;
  last_test_ok: boolean | null;
  last_test_error: string | null;
}

const toSettings = (r: Row): SmtpSettings => ({
  tenantId: r.tenant_id,
  host: r.host,
  port: r.port,
  security: r.security,
  username: r.username,
  passwordSealed: r.password_sealed,
  updatedAt: new Date(r.updated_at),
  lastTestAt: r.last_test_at && new Date(r.last_test_at),
  lastTestOk: r.last_test_ok,
  lastTestError: r.last_test_error,
});

export async function findSmtpSettings(tx: Tx, scope: SingleTenantScope): Promise<SmtpSettings | undefined> {
  const [row] = await rows<Row>(tx, sql`select * from tenant_smtp_settings where ${tenantIs(scope)}`);
  return row && toSettings(row);
}

/** Sets the tenant's server (a change forgets the last connection test). */
export async function saveSmtpSettings(
  tx: Tx,
  scope: SingleTenantScope,
  s: Pick<SmtpSettings, 'host' | 'port' | 'security' | 'username' | 'passwordSealed'>,
  at: Date,
): Promise<SmtpSettings> {
  const [row] = await rows<Row>(
    tx,
    sql`insert into tenant_smtp_settings (tenant_id, host, port, security, username, password_sealed, updated_at)
        values (${writeTenant(scope)}, ${s.host}, ${s.port}, ${s.security}, ${s.username}, ${s.passwordSealed}, ${at})
        on conflict (tenant_id) do update
          set host = excluded.host, port = excluded.port, security = excluded.security,
              username = excluded.username, password_sealed = excluded.password_sealed,
              updated_at = excluded.updated_at, last_test_at = null, last_test_ok = null, last_test_error = null
        returning *`,
  );
  return toSettings(row!);
}

export async function recordSmtpTest(
  tx: Tx,
  scope: SingleTenantScope,
  r: { at: Date; ok: boolean; error: string | null },
): Promise<void> {
  await tx.execute(
    sql`update tenant_smtp_settings set last_test_at = ${r.at}, last_test_ok = ${r.ok},
          last_test_error = ${r.error?.slice(0, 500) ?? null}
        where ${tenantIs(scope)}`,
  );
}

export async function deleteSmtpSettings(tx: Tx, scope: SingleTenantScope): Promise<boolean> {
  const gone = await rows<{ tenant_id: string }>(
    tx,
    sql`delete from tenant_smtp_settings where ${tenantIs(scope)} returning tenant_id`,
  );
  return gone.length > 0;
}
