-- Change of package: a job per requested change (billing's changeId), not one per (service, action) — two
-- changes of one service (an upgrade, then a downgrade) are two jobs, run in the order billing asked, and a
-- change requested again under the same changeId joins its job and is never applied twice.
ALTER TABLE jobs DROP CONSTRAINT jobs_action_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_action_check
  CHECK (action IN ('provision', 'suspend', 'unsuspend', 'terminate', 'change_package'));
-- '' for the actions keyed by the service alone; the request's own key (changeId) otherwise.
ALTER TABLE jobs ADD COLUMN request_key text NOT NULL DEFAULT '';
ALTER TABLE jobs DROP CONSTRAINT jobs_tenant_id_service_id_action_key;
ALTER TABLE jobs ADD CONSTRAINT jobs_tenant_service_action_key UNIQUE (tenant_id, service_id, action, request_key);
