import { rows, type Tx, type SingleTenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

type Scope = SingleTenantScope;

export interface SettingRow {
  key: string;
  value: unknown;
  value_enc: string | null;
  updated_at: Date;
}

export async function settingsOf(tx: Tx, scope: Scope): Promise<SettingRow[]> {
  return rows<SettingRow>(
    tx,
    sql`select key, value, value_enc, updated_at from settings where tenant_id = ${scope.tenantId}`,
  );
}

export async function upsertSetting(
  tx: Tx,
  scope: Scope,
  s: { key: string; value?: unknown; valueEnc?: string; updatedBy: string | null },
): Promise<void> {
  const value = s.valueEnc === undefined ? JSON.stringify(s.value) : null;
  await tx.execute(
    sql`insert into settings (tenant_id, key, value, value_enc, updated_by)
        values (${scope.tenantId}, ${s.key}, ${value}::jsonb, ${s.valueEnc ?? null}, ${s.updatedBy})
        on conflict (tenant_id, key) do update
          set value = excluded.value, value_enc = excluded.value_enc, updated_by = excluded.updated_by,
              updated_at = now()`,
  );
}

export async function deleteSetting(tx: Tx, scope: Scope, key: string): Promise<void> {
  await tx.execute(sql`delete from settings where tenant_id = ${scope.tenantId} and key = ${key}`);
}
