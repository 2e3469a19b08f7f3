-- Domains: registrar accounts per tenant (credentials sealed), the registrar a tenant uses per TLD, the
-- domains themselves, their durable jobs, and the callbacks registrars push (recorded before processing).

-- credentials: AES-256-GCM sealed JSON (LogicBoxes reseller id + API key, Namecheap ApiUser/ApiKey/
-- UserName/ClientIp, Name.com username + token, and an optional webhook secret); never selected by a read
-- that answers an API call.
CREATE TABLE registrar_accounts (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  name text NOT NULL,
  registrar text NOT NULL CHECK (registrar IN ('resellerclub', 'namecheap', 'namecom')),
  endpoint text NOT NULL,
  webhook_url text,
  webhook_secret_set boolean NOT NULL DEFAULT false,
  credentials text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);
SELECT geminis_enable_tenant_rls('registrar_accounts');

CREATE TABLE tld_registrars (
  tenant_id uuid NOT NULL,
  tld text NOT NULL,
  account_id uuid NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, tld),
  FOREIGN KEY (tenant_id, account_id) REFERENCES registrar_accounts (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('tld_registrars');

-- One row per billing domain service. account_id may name a platform account (a reseller's client
-- registering through the platform's registrar), so it is not a tenant-composite foreign key.
CREATE TABLE domains (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  domain_service_id uuid NOT NULL,
  client_id uuid NOT NULL,
  domain text NOT NULL,
  tld text NOT NULL,
  account_id uuid,
  registrar text,
  -- The registrar's own handle (a LogicBoxes order id, a Namecheap DomainID), when it has one.
  registrar_ref text,
  transfer_ref text,
  status text NOT NULL CHECK (status IN ('pending', 'transfer_pending', 'active', 'expired', 'failed', 'cancelled')),
  expires_at timestamptz,
  nameservers text[] NOT NULL DEFAULT '{}',
  locked boolean,
  privacy boolean NOT NULL DEFAULT false,
  registrant jsonb,
  synced_at timestamptz,
  drift text CHECK (drift IN ('expiry', 'status', 'missing')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, domain_service_id)
);
SELECT geminis_enable_tenant_rls('domains');
CREATE INDEX domains_name ON domains (domain);
CREATE INDEX domains_client ON domains (tenant_id, client_id);
CREATE INDEX domains_sync ON domains (account_id, synced_at NULLS FIRST) WHERE status IN ('active', 'expired');

-- A requested action on a domain: one row per (domain, action, key). Register and transfer are keyed
-- 'once', a renewal by its invoice, changes (nameservers, lock, privacy) by their action (a newer request
-- replaces one still waiting), a callback by its id. Claimed like provisioning's jobs (lease, fencing).
CREATE TABLE domain_jobs (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  domain_id uuid NOT NULL,
  action text NOT NULL CHECK (action IN ('register', 'transfer', 'renew', 'nameservers', 'lock', 'privacy', 'callback')),
  request_key text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
  request jsonb NOT NULL,
  -- What an attempt must remember for the next (the expiry read before a renewal, a transfer's id).
  state jsonb NOT NULL DEFAULT '{}',
  event_id uuid,
  correlation_id uuid,
  requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  polls integer NOT NULL DEFAULT 0,
  next_run_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  finished_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, domain_id, action, request_key),
  FOREIGN KEY (tenant_id, domain_id) REFERENCES domains (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('domain_jobs');
CREATE INDEX domain_jobs_due ON domain_jobs (next_run_at) WHERE status IN ('pending', 'running');
CREATE INDEX domain_jobs_domain ON domain_jobs (tenant_id, domain_id, requested_at);

-- Every callback that named an existing account: accepted (then applied by a job) or refused, with why.
-- dedupe_key (the registrar's event id or nonce) makes a replay of an accepted one impossible.
CREATE TABLE registrar_callbacks (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  account_id uuid NOT NULL,
  dedupe_key text,
  status text NOT NULL CHECK (status IN ('accepted', 'refused', 'applied')),
  reason text,
  domain text,
  body text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  applied_at timestamptz,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, account_id) REFERENCES registrar_accounts (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('registrar_callbacks');
CREATE UNIQUE INDEX registrar_callbacks_once ON registrar_callbacks (account_id, dedupe_key)
  WHERE dedupe_key IS NOT NULL;
