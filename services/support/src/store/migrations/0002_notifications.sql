-- Notifications: the clients support mails (learnt from identity's events), each tenant's brand as identity
-- last answered, the templates a tenant overrides, and the mails themselves: a durable queue the sender
-- works through with retries, one row per (event, template) so a redelivered event mails nobody twice.

CREATE TABLE mail_recipients (
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  language text NOT NULL DEFAULT 'en',
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, client_id)
);
SELECT geminis_enable_tenant_rls('mail_recipients');
CREATE INDEX mail_recipients_email ON mail_recipients (tenant_id, lower(email));

-- fetched_at null: identity said the brand changed, ask again before the next mail
CREATE TABLE tenant_brands (
  tenant_id uuid PRIMARY KEY,
  brand_name text NOT NULL,
  logo_url text,
  support_email text,
  fetched_at timestamptz
);
SELECT geminis_enable_tenant_rls('tenant_brands');

CREATE TABLE mail_templates (
  tenant_id uuid NOT NULL,
  template text NOT NULL,
  language text NOT NULL,
  subject text NOT NULL,
  html text NOT NULL,
  text text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, template, language)
);
SELECT geminis_enable_tenant_rls('mail_templates');

CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  event_id uuid NOT NULL,
  template text NOT NULL,
  client_id uuid,
  -- null when support knows no address for the client: the row stays, failed, for staff to see
  recipient text,
  language text NOT NULL,
  vars jsonb NOT NULL,
  -- extra headers decided when the mail was queued (e.g. the signed Reply-To of a ticket)
  reply_to text,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_error text,
  subject text,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at timestamptz,
  UNIQUE (tenant_id, event_id, template)
);
SELECT geminis_enable_tenant_rls('mail_outbox');
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_outbox_client ON mail_outbox (tenant_id, client_id, id DESC);
CREATE INDEX mail_outbox_tenant ON mail_outbox (tenant_id, id DESC);
