-- Bounces: a hard bounce (a delivery status notification saying the address does not exist) puts the
-- address on the tenant's suppression list, and later mail to it is not sent (status 'suppressed');
-- the bounced mail itself is logged 'bounced'. A soft bounce sends the mail again later, a few times.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
  CHECK (status IN ('pending', 'sent', 'failed', 'bounced', 'suppressed'));
ALTER TABLE mail_outbox ADD COLUMN soft_bounces integer NOT NULL DEFAULT 0;

CREATE TABLE mail_suppressions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  -- lower case: addresses compare case-insensitively
  email text NOT NULL CHECK (email = lower(email)),
  reason text NOT NULL CHECK (reason IN ('hard_bounce')),
  -- the enhanced status code of the report (RFC 3463), e.g. 5.1.1
  status_code text,
  diagnostic text,
  -- the mail that bounced
  mail_id uuid,
  created_at timestamptz NOT NULL,
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('mail_suppressions');
