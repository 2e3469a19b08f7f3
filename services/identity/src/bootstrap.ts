/**
 * The first platform admin of a new installation (compose, Kubernetes): without one nobody can create
 * resellers. Idempotent — when the platform already has an admin nothing changes — and the password must
 * pass identity's own policy. The migrations are applied first, so the command may run before identity
 * has started for the first time. Run by `bootstrap-admin.ts` (the one-shot command, Job and compose
 * service); the logic is here so tests call it directly.
 */
import { assertSafeRole, migrate, newId, tenantScope, type Database } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { PLATFORM_TENANT_ID } from './domain/context';
import { checkPasswordPolicy, createPasswordHasher } from './domain/passwords';
import { IDENTITY_MIGRATIONS } from './service';
import { insertAudit } from './store/audit.store';
import { insertUser, userIdsOfTenant } from './store/users.store';

export interface FirstAdmin {
  email: string;
  password: string;
  name?: string;
  language?: string;
  currency?: string;
}

export type BootstrapResult =
  | { created: true; userId: string; email: string }
  | { created: false; reason: 'admin_exists'; existingAdmins: number };

export async function bootstrapFirstAdmin(
  db: Database,
  admin: FirstAdmin,
  /** The owner role's connection when migrations run apart from the runtime role (MIGRATION_DATABASE_URL). */
  migrationDb?: Database,
): Promise<BootstrapResult> {
  // A weak secret is a configuration error whether or not an admin exists: say so every time.
  checkPasswordPolicy(admin.password, admin.email, 'BOOTSTRAP_ADMIN_PASSWORD');
  await assertSafeRole(db);
  await migrate(migrationDb ?? db, [IDENTITY_MIGRATIONS]);
  const platform = tenantScope(PLATFORM_TENANT_ID);

  const existing = () =>
    db.withTenant(platform, (tx) => userIdsOfTenant(tx, platform, 'admin')).then((ids) => ids.length);
  const before = await existing();
  if (before > 0) return { created: false, reason: 'admin_exists', existingAdmins: before };

  const passwordHash = await createPasswordHasher(1).hash(admin.password);
  return db.withTenant(platform, async (tx) => {
    // Two bootstrap runs at once (a retried Job) create one admin: the second waits, then sees it.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('geminis.identity.bootstrap-admin'))`);
    const admins = await userIdsOfTenant(tx, platform, 'admin');
    if (admins.length > 0) return { created: false, reason: 'admin_exists', existingAdmins: admins.length };
    const user = await insertUser(tx, platform, {
      id: newId(),
      tenantId: PLATFORM_TENANT_ID,
      role: 'admin',
      email: admin.email,
      name: admin.name ?? 'Platform Admin',
      language: admin.language ?? 'en',
      currency: admin.currency ?? 'EUR',
      passwordHash,
    });
    await insertAudit(tx, {
      tenantId: PLATFORM_TENANT_ID,
      type: 'user.created',
      subjectId: user.id,
      data: { role: 'admin', via: 'bootstrap' },
    });
    return { created: true, userId: user.id, email: user.email };
  });
}
