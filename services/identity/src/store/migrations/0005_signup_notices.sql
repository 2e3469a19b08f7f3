-- When someone signs up with an e-mail that already has an account, its owner is told by mail
-- (identity.user.signup_existing.v1) instead of the caller being told "taken". At most one such notice per
-- account per window, so sign-up cannot be used to mail-bomb an address: the last notice's time per user.
CREATE TABLE signup_notices (
  tenant_id uuid NOT NULL,
  user_id uuid NOT NULL,
  last_notified_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);
SELECT geminis_enable_tenant_rls('signup_notices');
