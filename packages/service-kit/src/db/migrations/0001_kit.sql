-- Service-kit tables every service has: outbox, inbox, scheduler runs, and the tenant RLS helpers.

-- True when the row's tenant is the one set for this transaction, or when the transaction was explicitly
-- opened for all tenants (platform admins, cross-tenant jobs). No setting → false → no rows (fail closed).
CREATE OR REPLACE FUNCTION geminis_tenant_visible(row_tenant uuid) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.all_tenants', true), '') = 'on'
      OR row_tenant = NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;

-- Enables and forces row-level security on a tenant-owned table (it must have tenant_id uuid).
CREATE OR REPLACE FUNCTION geminis_enable_tenant_rls(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tbl);
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s USING (geminis_tenant_visible(tenant_id)) '
    'WITH CHECK (geminis_tenant_visible(tenant_id))', tbl);
END
$$;

-- Transactional outbox (DESIGN.md §3): written in the caller's transaction, drained by the relay.
CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  type text NOT NULL,
  envelope jsonb NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error text,
  published_at timestamptz
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, created_at) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- Inbox: one row per (consumer, event) applied; written in the same transaction as the effect.
CREATE TABLE inbox (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (consumer, event_id)
);

-- Scheduler: one row per job and period; the lease stops two replicas running the same period.
CREATE TABLE scheduler_runs (
  job text NOT NULL,
  period text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 1,
  lease_until timestamptz NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  last_error text,
  PRIMARY KEY (job, period)
);
