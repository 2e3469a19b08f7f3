-- An invoice for a change of package (the prorated difference of an upgrade) has its own reason, instead of
-- 'manual' (which staff's own invoices mean). Those already issued are found through their change row.
ALTER TABLE invoices DROP CONSTRAINT invoices_reason_check;
ALTER TABLE invoices
  ADD CONSTRAINT invoices_reason_check CHECK (reason IN ('order', 'renewal', 'manual', 'change_package'));
SELECT set_config('app.all_tenants', 'on', true);
UPDATE invoices i SET reason = 'change_package'
  FROM service_changes c
 WHERE c.tenant_id = i.tenant_id AND c.invoice_id = i.id AND i.reason = 'manual';
SELECT set_config('app.all_tenants', '', true);
