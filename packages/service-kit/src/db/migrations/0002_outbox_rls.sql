-- The outbox holds tenant data (event bodies carry names, emails, amounts), so it is under the tenant
-- policy like every tenant-owned table: a transaction sees only its own tenant's events, and one scoped to
-- a tenant cannot write an event of another. The relay reads and marks rows of every tenant in an explicit
-- all-tenants transaction (outbox/relay.ts, the only code that does). A transaction with no tenant set at
-- all (system work: key rotation, a migration) may still write events, naming their tenant; it reads none.
-- The inbox holds no tenant data (consumer, event id and type), nor does scheduler_runs: no policy.
ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
  USING (geminis_tenant_visible(tenant_id))
  WITH CHECK (
    geminis_tenant_visible(tenant_id)
    OR (coalesce(current_setting('app.tenant_id', true), '') = ''
        AND coalesce(current_setting('app.all_tenants', true), '') <> 'on')
  );
