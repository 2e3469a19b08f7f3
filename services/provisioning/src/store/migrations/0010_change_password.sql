-- A new panel password for an account (its client or its tenant's staff ask; generated here, sealed in the
-- job's request until the panel took it, then on the account).
ALTER TABLE jobs DROP CONSTRAINT jobs_action_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_action_check
  CHECK (action IN ('provision', 'suspend', 'unsuspend', 'terminate', 'change_package', 'change_password'));
