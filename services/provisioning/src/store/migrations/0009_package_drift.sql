-- Drift also covers the package: an account whose panel puts it on another package (WHM/DirectAdmin package,
-- Plesk service plan) than the one its product names, seen by the state sync or when an existing account is
-- adopted.
ALTER TABLE accounts DROP CONSTRAINT accounts_drift_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_drift_check
  CHECK (drift IN ('missing_on_panel', 'suspended_on_panel', 'active_on_panel', 'other_package_on_panel'));
