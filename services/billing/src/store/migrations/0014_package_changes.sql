-- Changes of package (upgrade/downgrade) mid-cycle, with their proration: credit for the unused days of the
-- old price, charge for them at the new one. A positive difference is invoiced and the change applies when
-- that invoice is paid; otherwise the difference becomes account credit and the change applies at once.
-- One change at a time per service (a pending one must be paid or cancelled first).
CREATE TABLE service_changes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  service_id uuid NOT NULL,
  client_id uuid NOT NULL,
  from_product_id uuid NOT NULL,
  to_product_id uuid NOT NULL,
  product_name text NOT NULL,
  product_type text NOT NULL,
  module text NOT NULL,
  module_config jsonb NOT NULL,
  cycle text NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  old_amount bigint NOT NULL CHECK (old_amount >= 0),
  new_amount bigint NOT NULL CHECK (new_amount >= 0),
  period_start date NOT NULL,
  period_end date NOT NULL CHECK (period_end > period_start),
  change_date date NOT NULL,
  credit bigint NOT NULL CHECK (credit >= 0),
  charge bigint NOT NULL CHECK (charge >= 0),
  invoice_id uuid,
  status text NOT NULL CHECK (status IN ('pending', 'applied', 'cancelled')),
  requested_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES client_services (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  CHECK ((status = 'pending') <= (invoice_id IS NOT NULL))
);
SELECT geminis_enable_tenant_rls('service_changes');
CREATE UNIQUE INDEX service_changes_one_pending ON service_changes (tenant_id, service_id) WHERE status = 'pending';
CREATE UNIQUE INDEX service_changes_invoice ON service_changes (tenant_id, invoice_id) WHERE invoice_id IS NOT NULL;
