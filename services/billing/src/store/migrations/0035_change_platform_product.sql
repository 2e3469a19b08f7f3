-- A change of package remembers what its quote line said only our services see (issue 12's white-label):
-- the platform's product a resold product is (details.platformProductId; client_services.platform_product_id
-- takes it when the change applies, null for the tenant's own product) and the wholesale price owed to the
-- platform per unit and cycle (details.wholesale; null: the tenant's own product, nothing owed). The
-- wholesale run prefers the service's latest applied change over its order's line, which no longer names
-- the service's product once it changed.
--
-- line_details: the change was quoted with these columns. Changes from before (false) cannot be told apart
-- from an own product by their nulls: applying one leaves platform_product_id as it is, and the wholesale
-- run keeps looking at the order's line for them, as before.
ALTER TABLE service_changes
  ADD COLUMN platform_product_id uuid,
  ADD COLUMN wholesale_price bigint CHECK (wholesale_price >= 0),
  ADD COLUMN wholesale_setup_fee bigint CHECK (wholesale_setup_fee >= 0),
  ADD COLUMN line_details boolean NOT NULL DEFAULT false,
  ADD CONSTRAINT service_changes_wholesale_whole
    CHECK ((wholesale_price IS NULL) = (wholesale_setup_fee IS NULL));

-- The wholesale run looks up a service's latest applied change.
CREATE INDEX service_changes_applied ON service_changes (tenant_id, service_id, applied_at DESC)
  WHERE status = 'applied';
