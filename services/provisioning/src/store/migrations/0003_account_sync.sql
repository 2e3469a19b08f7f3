-- State sync: when each account was last compared with its panel, and how it differed (drift for staff).
ALTER TABLE accounts
  ADD COLUMN synced_at timestamptz,
  ADD COLUMN drift text CHECK (drift IN ('missing_on_panel', 'suspended_on_panel', 'active_on_panel'));
CREATE INDEX accounts_sync ON accounts (server_id, synced_at NULLS FIRST) WHERE status IN ('active', 'suspended');
