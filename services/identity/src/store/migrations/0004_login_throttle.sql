-- Failed sign-in attempts per (account, source) and failed second factors per account, with the time
-- until which the next attempt is refused (a backoff that grows with the failures). Replaces the hard
-- account lock that anyone could trigger against anyone: a stranger's failures throttle the stranger's
-- source only. The key is a hash (of the e-mail and address, or of the user id): unknown e-mails are
-- throttled exactly like known ones, and the table holds no address or e-mail in clear.
CREATE TABLE login_throttle (
  tenant_id uuid NOT NULL,
  key_hash text NOT NULL,
  failures integer NOT NULL DEFAULT 0,
  blocked_until timestamptz,
  last_failure_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);
SELECT geminis_enable_tenant_rls('login_throttle');

-- Hard locks set by the old rule are lifted: the throttle above replaces them.
UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE locked_until IS NOT NULL;
