-- Each domain service's expiry date as provisioning last announced it (registered, transferred, renewed,
-- expiry_changed), so a daily job can mail its client 30 and 7 days before it expires. `as_of` is the
-- announcing event's time: an older event delivered late never overwrites a newer date.
CREATE TABLE domain_expiries (
  tenant_id uuid NOT NULL,
  domain_service_id uuid NOT NULL,
  domain text NOT NULL,
  expires_at timestamptz NOT NULL,
  as_of timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, domain_service_id)
);
SELECT geminis_enable_tenant_rls('domain_expiries');
CREATE INDEX domain_expiries_expires_at ON domain_expiries (expires_at);
