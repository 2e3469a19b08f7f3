-- Provisioning: server groups, servers (platform- or reseller-owned, credentials sealed), provisioned
-- accounts and the durable jobs that act on them. Every table is tenant-owned: tenant_id NOT NULL,
-- row-level security forced (no tenant set → no rows), uniqueness and foreign keys composite with tenant_id.

CREATE TABLE server_groups (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  name text NOT NULL,
  fill_strategy text NOT NULL CHECK (fill_strategy IN ('least_accounts', 'fill_in_order')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);
SELECT geminis_enable_tenant_rls('server_groups');

-- credentials: AES-256-GCM sealed JSON (WHM user + API token, Plesk secret key or login, DirectAdmin
-- user + login key); never selected by a read that answers an API call.
CREATE TABLE servers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  group_id uuid,
  name text NOT NULL,
  module text NOT NULL CHECK (module IN ('cpanel', 'plesk', 'directadmin')),
  hostname text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  tls boolean NOT NULL,
  credentials text NOT NULL,
  nameservers text[] NOT NULL DEFAULT '{}',
  max_accounts integer NOT NULL CHECK (max_accounts >= 1),
  enabled boolean NOT NULL DEFAULT true,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, group_id) REFERENCES server_groups (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('servers');
CREATE INDEX servers_group ON servers (tenant_id, group_id);

-- One account per client service. server_id may name a platform server (a reseller's client on a resold
-- platform product), so it is not a tenant-composite foreign key; the job runner alone writes it. The
-- panel's user names are unique per server whoever's client the account is for.
CREATE TABLE accounts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  service_id uuid NOT NULL,
  client_id uuid NOT NULL,
  product_id uuid NOT NULL,
  module text NOT NULL CHECK (module IN ('cpanel', 'plesk', 'directadmin', 'none')),
  server_id uuid,
  host text,
  username text,
  domain text,
  package text,
  password text,
  status text NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'terminated')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, service_id),
  UNIQUE (server_id, username),
  CHECK (module = 'none' OR status = 'pending' OR (server_id IS NOT NULL AND username IS NOT NULL))
);
SELECT geminis_enable_tenant_rls('accounts');
CREATE INDEX accounts_server_live ON accounts (server_id) WHERE status <> 'terminated';
CREATE INDEX accounts_client ON accounts (tenant_id, client_id);

-- A requested action on a client service: one row per (service, action), re-armed by a later request.
-- Claimed by runners with FOR UPDATE SKIP LOCKED; a claim is a lease, so a crashed runner's job is resumed.
CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  service_id uuid NOT NULL,
  client_id uuid NOT NULL,
  action text NOT NULL CHECK (action IN ('provision', 'suspend', 'unsuspend', 'terminate')),
  status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  request jsonb NOT NULL,
  event_id uuid NOT NULL,
  correlation_id uuid,
  -- When the current request was made: a service's jobs run in this order (suspend before unsuspend).
  requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  next_run_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, service_id, action)
);
SELECT geminis_enable_tenant_rls('jobs');
CREATE INDEX jobs_due ON jobs (next_run_at) WHERE status IN ('pending', 'running');
CREATE INDEX jobs_service ON jobs (tenant_id, service_id, requested_at);

-- Where a product's accounts go: a server group of the same tenant. The platform's placement of a
-- platform product also places the services resellers sell of it.
CREATE TABLE placements (
  tenant_id uuid NOT NULL,
  product_id uuid NOT NULL,
  group_id uuid NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, product_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES server_groups (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('placements');
