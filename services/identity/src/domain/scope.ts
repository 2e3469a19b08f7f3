import { scopeFor, type TenantScope, type Tx } from '@geminis/service-kit';
import { insertAudit } from '../store/audit.store';
import { type Actor } from './context';

/**
 * The scope of a listing or lookup: admins see all tenants or narrow to one (audited in that tenant's log,
 * in the same transaction); resellers and clients always get their own tenant whatever they ask for.
 */
export function scopeOf(
  actor: Actor,
  requestedTenantId?: string,
): {
  scope: TenantScope;
  audit: (tx: Tx) => Promise<void>;
} {
  const narrowed = actor.auth.role === 'admin' && requestedTenantId !== undefined;
  return {
    scope: scopeFor(actor.auth, requestedTenantId),
    audit: async (tx) => {
      if (!narrowed) return;
      await insertAudit(tx, {
        tenantId: requestedTenantId,
        type: 'admin.narrowing',
        actorId: actor.auth.userId,
        ip: actor.ip,
      });
    },
  };
}
