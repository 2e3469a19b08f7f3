-- A tenant's own outgoing mail server (DESIGN.md §2: support owns per-tenant SMTP). The password is
-- sealed (AES-256-GCM, the kit's purpose cipher under SUPPORT_ENCRYPTION_KEY) and never returned.
-- Without a row the tenant's mail goes through the platform's server (SUPPORT_SMTP_URL); another
-- tenant's settings (the platform's included) are never used for it.
CREATE TABLE tenant_smtp_settings (
  tenant_id uuid PRIMARY KEY,
  host text NOT NULL,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  security text NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
  username text,
  password_sealed text,
  updated_at timestamptz NOT NULL,
  last_test_at timestamptz,
  last_test_ok boolean,
  last_test_error text
);
SELECT geminis_enable_tenant_rls('tenant_smtp_settings');
