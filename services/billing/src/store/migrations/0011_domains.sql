-- Domains as client services: a registration or transfer-in ordered with (or without) hosting. The client
-- service row carries what every service has (client, order, amount, due date, status; product_type 'domain',
-- module 'registrar', no catalog product); the registration beside it carries what the registrar needs.
-- A domain renews for the years it was ordered for (term_months), at catalog's renewal price for them; its
-- due date follows the registrar's expiry once provisioning reports it.
ALTER TABLE client_services
  ALTER COLUMN product_id DROP NOT NULL,
  ADD COLUMN term_months integer CHECK (term_months BETWEEN 1 AND 120),
  ADD CONSTRAINT client_services_product CHECK (product_id IS NOT NULL OR product_type = 'domain');

CREATE TABLE domain_registrations (
  tenant_id uuid NOT NULL,
  service_id uuid NOT NULL,
  domain text NOT NULL,
  tld text NOT NULL CHECK (tld ~ '^\.[a-z0-9-]+(\.[a-z0-9-]+)*$'),
  action text NOT NULL CHECK (action IN ('register', 'transfer')),
  years integer NOT NULL CHECK (years BETWEEN 1 AND 10),
  nameservers jsonb NOT NULL DEFAULT '[]'::jsonb,
  privacy boolean NOT NULL DEFAULT false,
  registrant jsonb NOT NULL,
  -- The transfer's EPP code, sealed with the tenant as associated data; forgotten once the transfer request
  -- is in the outbox (nobody needs it after that).
  epp_code_sealed text,
  registrar text,
  expires_at timestamptz,
  requested_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, service_id),
  CHECK (action = 'transfer' OR epp_code_sealed IS NULL),
  FOREIGN KEY (tenant_id, service_id) REFERENCES client_services (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('domain_registrations');
CREATE INDEX domain_registrations_domain ON domain_registrations (tenant_id, domain);
