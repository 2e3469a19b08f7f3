-- Usage: each account's disk and this month's bandwidth as its panel last reported them (bytes), read
-- by the scheduled usage sync in bounded batches per server, oldest reading first.
ALTER TABLE accounts
  ADD COLUMN disk_bytes bigint CHECK (disk_bytes >= 0),
  ADD COLUMN bandwidth_bytes bigint CHECK (bandwidth_bytes >= 0),
  ADD COLUMN usage_at timestamptz;
CREATE INDEX accounts_usage ON accounts (server_id, usage_at NULLS FIRST) WHERE status IN ('active', 'suspended');
