-- Identity: tenants (reseller profiles), users, credentials, sessions, 2FA, signing keys, settings, audit.
-- Every tenant-owned table carries tenant_id and forced row-level security. A reseller's tenant id is its
-- profile id; the platform tenant is 00000000-0000-0000-0000-000000000000.

CREATE TABLE resellers (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL CHECK (tenant_id = id),
  slug text NOT NULL,
  brand_name text NOT NULL,
  logo_url text,
  support_email text,
  allow_custom_products boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Slugs are public and global (they name a storefront): a global unique index is intended.
CREATE UNIQUE INDEX resellers_slug ON resellers (lower(slug));
SELECT geminis_enable_tenant_rls('resellers');

-- Custom domains are public and globally unique, so this table has no RLS: the host → tenant lookup reads it.
CREATE TABLE reseller_domains (
  domain text PRIMARY KEY CHECK (domain = lower(domain)),
  reseller_id uuid NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reseller_domains_reseller ON reseller_domains (reseller_id);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'reseller', 'client')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'suspended')),
  email text NOT NULL,
  name text NOT NULL,
  language text NOT NULL DEFAULT 'en',
  currency text NOT NULL DEFAULT 'EUR',
  password_hash text NOT NULL,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  totp_secret_enc text,
  totp_pending_secret_enc text,
  totp_enabled_at timestamptz,
  totp_last_step bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
-- Email is unique per tenant (the same person may be a client of two resellers).
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX users_tenant_role ON users (tenant_id, role, id);
SELECT geminis_enable_tenant_rls('users');

-- Opaque refresh tokens: only SHA-256 hashes are stored; rotation chains share a family.
CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id),
  family_id uuid NOT NULL,
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
SELECT geminis_enable_tenant_rls('refresh_tokens');

-- One-time tokens (password reset, login second step), hashed, expiring.
CREATE TABLE one_time_tokens (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id),
  purpose text NOT NULL CHECK (purpose IN ('password_reset', 'login_2fa')),
  token_hash text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
SELECT geminis_enable_tenant_rls('one_time_tokens');

CREATE TABLE recovery_codes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id),
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, code_hash)
);
SELECT geminis_enable_tenant_rls('recovery_codes');

-- Platform signing keys (not tenant data): the private key is encrypted at rest (AES-256-GCM).
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL DEFAULT 'RS256',
  public_jwk jsonb NOT NULL,
  private_key_enc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  -- Set when a newer key takes over: verifies until then (overlap), never signs again.
  retire_at timestamptz
);
-- At most one signing (active) key.
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys ((true)) WHERE retire_at IS NULL;

CREATE TABLE settings (
  tenant_id uuid NOT NULL,
  key text NOT NULL,
  value jsonb,
  value_enc text,
  updated_by uuid,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key),
  CHECK ((value IS NULL) <> (value_enc IS NULL))
);
SELECT geminis_enable_tenant_rls('settings');

CREATE TABLE audit_log (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  type text NOT NULL,
  actor_id uuid,
  subject_id uuid,
  ip text,
  data jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, id DESC);
SELECT geminis_enable_tenant_rls('audit_log');
