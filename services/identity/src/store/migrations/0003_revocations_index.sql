-- The gateway asks, when it starts, whose tokens were revoked in the last access-token lifetime: users no
-- longer active (or deleted) and suspended resellers, by the time of that change. Few rows match.
CREATE INDEX users_revoked ON users (updated_at) WHERE status <> 'active' OR deleted_at IS NOT NULL;
CREATE INDEX resellers_suspended ON resellers (updated_at) WHERE status = 'suspended';
