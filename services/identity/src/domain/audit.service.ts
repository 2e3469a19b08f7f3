import { type Database, type TenantScope } from '@geminis/service-kit';
import { insertAudit, listAudit, type AuditEntry, type AuditRecord } from '../store/audit.store';

export function createAuditService(deps: { db: Database }) {
  return {
    /** Writes one entry in its own transaction (for events whose main transaction failed, e.g. a bad login). */
    async record(scope: TenantScope, entry: AuditEntry): Promise<void> {
      await deps.db.withTenant(scope, (tx) => insertAudit(tx, entry));
    },
    async list(
      scope: TenantScope,
      page: { before?: string | undefined; limit: number; type?: string | undefined },
    ): Promise<AuditRecord[]> {
      return deps.db.withTenant(scope, (tx) =>
        listAudit(tx, scope, {
          limit: page.limit,
          ...(page.before ? { before: page.before } : {}),
          ...(page.type ? { type: page.type } : {}),
        }),
      );
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
