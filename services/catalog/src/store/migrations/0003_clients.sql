-- Catalog's projection of identity's clients (identity.client.created.v1), so a quote refuses a client id
-- that is not a client of the quoting tenant: staff naming another tenant's client (or none) get 422.
-- Only the id: catalog needs to know that the client is the tenant's, nothing about the person.
CREATE TABLE clients (
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, client_id)
);
SELECT geminis_enable_tenant_rls('clients');
