-- Whose domain a domain service is (billing's requests name the client; provisioning's results do not),
-- so that "registered" and "renewed" reach the right client.
CREATE TABLE domain_service_clients (
  tenant_id uuid NOT NULL,
  domain_service_id uuid NOT NULL,
  client_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, domain_service_id)
);
SELECT geminis_enable_tenant_rls('domain_service_clients');
