import { SettingsChanged } from '@geminis/contracts';
import {
  ForbiddenError,
  tenantScope,
  ValidationError,
  type Database,
  type FieldError,
  type Outbox,
  type Tx,
} from '@geminis/service-kit';
import { insertAudit } from '../store/audit.store';
import { deleteSetting, settingsOf, upsertSetting, type SettingRow } from '../store/settings.store';
import { PLATFORM_TENANT_ID, type Actor } from './context';
import { type Cipher } from './crypto';
import { maskSecret, SETTINGS, SETTINGS_BY_KEY, type SettingDefinition } from './settings';

export interface SettingView {
  key: string;
  description: string;
  scope: 'platform' | 'reseller';
  secret: boolean;
  /** Whether the viewer's tenant may set it. */
  editable: boolean;
  /** Where the value comes from. */
  source: 'default' | 'platform' | 'reseller';
  /** Secret values are masked (`••••abcd`); null when unset. */
  value: unknown;
}

/** At most this many tenants' policies are kept (the cache starts again when full). */
const POLICY_CACHE_ENTRIES = 10_000;

export function createSettingsService(deps: {
  db: Database;
  outbox: Outbox;
  cipher: Cipher;
  /** How long the sign-in rules may use a tenant's settings read earlier. Default 2000 ms. */
  policyCacheMs?: number;
}) {
  const { db, cipher } = deps;

  const read = (tenantId: string) => {
    const scope = tenantScope(tenantId);
    return db.withTenant(scope, (tx) => settingsOf(tx, scope));
  };

  const plain = (d: SettingDefinition, row: SettingRow): unknown =>
    row.value_enc !== null ? cipher.decrypt('settings', row.value_enc) : row.value;

  /**
   * Resolution: default → platform value → reseller override (only for reseller-scoped keys). Secrets
   * never inherit across tenants (DESIGN.md §2): a reseller without its own Stripe key or SMTP password
   * has none — it never gets, nor sees masked, the platform's, or its clients' payments would go to the
   * platform's account.
   */
  async function resolve(tenantId: string) {
    const isPlatform = tenantId === PLATFORM_TENANT_ID;
    const platform = new Map((await read(PLATFORM_TENANT_ID)).map((r) => [r.key, r]));
    const own = isPlatform
      ? new Map<string, SettingRow>()
      : new Map((await read(tenantId)).map((r) => [r.key, r]));
    return SETTINGS.map((d) => {
      const override = d.scope === 'reseller' ? own.get(d.key) : undefined;
      const base = d.secret && !isPlatform ? undefined : platform.get(d.key);
      const source: SettingView['source'] = override ? 'reseller' : base ? 'platform' : 'default';
      const row = override ?? base;
      return { definition: d, source, value: row ? plain(d, row) : d.default };
    });
  }

  async function values(tenantId: string): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const { definition, value } of await resolve(tenantId))
      if (!definition.secret) out[definition.key] = value;
    return out;
  }

  const policyCacheMs = deps.policyCacheMs ?? 2_000;
  const policyCache = new Map<string, { at: number; values: Record<string, unknown> }>();
  /** Bumped by every change: a read that started before it is not cached. */
  let policyGeneration = 0;
  const forgetPolicies = () => {
    policyGeneration += 1;
    policyCache.clear();
  };

  return {
    /** The platform's settings (admin), or a tenant's resolved settings (its reseller, or a narrowing admin). */
    async view(actor: Actor, requestedTenantId?: string): Promise<SettingView[]> {
      const tenantId =
        actor.auth.role === 'admin' ? (requestedTenantId ?? PLATFORM_TENANT_ID) : actor.auth.tenantId;
      if (actor.auth.role === 'admin' && requestedTenantId) {
        const scope = tenantScope(requestedTenantId);
        await db.withTenant(scope, (tx) =>
          insertAudit(tx, {
            tenantId: requestedTenantId,
            type: 'admin.narrowing',
            actorId: actor.auth.userId,
            ip: actor.ip,
          }),
        );
      }
      const isPlatform = tenantId === PLATFORM_TENANT_ID;
      return (await resolve(tenantId)).map(({ definition: d, source, value }) => ({
        key: d.key,
        description: d.description,
        scope: d.scope,
        secret: d.secret,
        editable: isPlatform || d.scope === 'reseller',
        source,
        value: d.secret ? (typeof value === 'string' ? maskSecret(value) : null) : value,
      }));
    },

    /** Non-secret resolved values of a tenant, for this service's own rules (2FA policy) and other services. */
    values,

    /**
     * `values`, as this service's sign-in rules read them (the 2FA policy, on every login): kept for
     * `policyCacheMs` (default 2 s), so a burst of logins does not read the settings each time. A change
     * made through this replica applies at once; through another, within that time.
     */
    async policy(tenantId: string): Promise<Record<string, unknown>> {
      const hit = policyCache.get(tenantId);
      if (hit && Date.now() - hit.at < policyCacheMs) return hit.values;
      const generation = policyGeneration;
      const fresh = await values(tenantId);
      if (generation === policyGeneration) {
        if (policyCache.size >= POLICY_CACHE_ENTRIES) policyCache.clear();
        policyCache.set(tenantId, { at: Date.now(), values: fresh });
      }
      return fresh;
    },

    /** A secret in clear, in-process only (e.g. to hand a payment key to billing over an authenticated call). */
    async secret(tenantId: string, key: string): Promise<string | undefined> {
      const found = (await resolve(tenantId)).find((r) => r.definition.key === key && r.definition.secret);
      return typeof found?.value === 'string' ? found.value : undefined;
    },

    /**
     * Sets (or with null, clears) values at the caller's level: admins the platform (or a narrowed tenant),
     * resellers their own overrides of reseller-scoped keys only. All or nothing.
     */
    async put(actor: Actor, values: Record<string, unknown>, requestedTenantId?: string): Promise<void> {
      const tenantId =
        actor.auth.role === 'admin' ? (requestedTenantId ?? PLATFORM_TENANT_ID) : actor.auth.tenantId;
      const isPlatform = tenantId === PLATFORM_TENANT_ID;
      const errors: FieldError[] = [];
      const forbidden: string[] = [];
      const parsed: Array<{ d: SettingDefinition; value: unknown }> = [];
      for (const [key, raw] of Object.entries(values)) {
        const d = SETTINGS_BY_KEY.get(key);
        if (!d) {
          errors.push({ field: `values.${key}`, message: 'unknown setting' });
          continue;
        }
        if (!isPlatform && d.scope === 'platform') {
          forbidden.push(key);
          continue;
        }
        if (raw === null) {
          parsed.push({ d, value: null });
          continue;
        }
        const r = d.schema.safeParse(raw);
        if (!r.success)
          errors.push({ field: `values.${key}`, message: r.error.issues[0]?.message ?? 'invalid' });
        else parsed.push({ d, value: r.data });
      }
      if (errors.length > 0)
        throw new ValidationError(
          'identity.invalid_settings',
          errors.map((e) => `${e.field}: ${e.message}`).join('; '),
          {
            fieldErrors: errors,
          },
        );
      if (forbidden.length > 0)
        throw new ForbiddenError(
          'identity.setting_not_overridable',
          `only the platform sets: ${forbidden.join(', ')}`,
        );
      if (parsed.length === 0)
        throw new ValidationError('request.invalid', 'values: nothing to change', {
          fieldErrors: [{ field: 'values', message: 'nothing to change' }],
        });
      const scope = tenantScope(tenantId);
      await db.withTenant(scope, async (tx: Tx) => {
        for (const { d, value } of parsed) {
          if (value === null) await deleteSetting(tx, scope, d.key);
          else if (d.secret)
            await upsertSetting(tx, scope, {
              key: d.key,
              valueEnc: cipher.encrypt('settings', typeof value === 'string' ? value : JSON.stringify(value)),
              updatedBy: actor.auth.userId,
            });
          else await upsertSetting(tx, scope, { key: d.key, value, updatedBy: actor.auth.userId });
        }
        const keys = parsed.map((p) => p.d.key);
        await deps.outbox.enqueue(tx, {
          type: SettingsChanged.type,
          tenantId,
          data: { scope: isPlatform ? 'platform' : 'reseller', keys },
        });
        await insertAudit(tx, {
          tenantId,
          type: 'settings.changed',
          actorId: actor.auth.userId,
          ip: actor.ip,
          data: { keys },
        });
      });
      forgetPolicies();
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
