-- When an endpoint was disabled (by staff, or by support after repeated failures), for the staff's list.
ALTER TABLE webhook_endpoints ADD COLUMN disabled_at timestamptz;
UPDATE webhook_endpoints SET disabled_at = updated_at WHERE status = 'disabled';
