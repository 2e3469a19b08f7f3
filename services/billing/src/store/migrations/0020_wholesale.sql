-- The reseller wholesale economy: the platform bills each reseller the wholesale price of every active
-- service it sells on a platform product, for the same period as its client's, on consolidated invoices in
-- the platform's own series (reason 'wholesale', the reseller being a client of the platform tenant).

-- (0016 added 'change_package'; this keeps it.)
ALTER TABLE invoices DROP CONSTRAINT invoices_reason_check;
ALTER TABLE invoices
  ADD CONSTRAINT invoices_reason_check
  CHECK (reason IN ('order', 'renewal', 'manual', 'change_package', 'wholesale'));

-- One row per (resold service, period): the key that makes a wholesale run idempotent (ON CONFLICT DO
-- NOTHING), claimed first (invoice_id null) and then gathered onto the reseller's consolidated invoice.
-- Owned by the platform tenant (the issuer); reseller_id is the reseller's tenant and its client id at the
-- platform. service_id is the reseller's client service, in the reseller's tenant (so no foreign key).
CREATE TABLE wholesale_charges (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL DEFAULT billing_uuidv7(),
  reseller_id uuid NOT NULL,
  service_id uuid NOT NULL,
  product_id uuid NOT NULL,
  description text NOT NULL,
  cycle text NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 1),
  period_start date NOT NULL,
  period_end date,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- wholesale price per cycle × quantity, and the wholesale setup fee (first period only)
  price bigint NOT NULL CHECK (price >= 0),
  setup_fee bigint NOT NULL DEFAULT 0 CHECK (setup_fee >= 0),
  -- what the reseller's client was invoiced for the same period (its margin is retail − wholesale)
  retail bigint NOT NULL CHECK (retail >= 0),
  invoice_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, service_id, period_start),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('wholesale_charges');
CREATE INDEX wholesale_charges_pending ON wholesale_charges (tenant_id, reseller_id, currency)
  WHERE invoice_id IS NULL;
CREATE INDEX wholesale_charges_invoice ON wholesale_charges (tenant_id, invoice_id);
CREATE INDEX wholesale_charges_reseller ON wholesale_charges (tenant_id, reseller_id, period_start);

-- The platform's policy for unpaid wholesale invoices (one row, the platform's; none: the default).
CREATE TABLE wholesale_policy (
  tenant_id uuid PRIMARY KEY,
  unpaid_action text NOT NULL DEFAULT 'remind' CHECK (unpaid_action IN ('remind', 'suspend')),
  suspend_after_days integer NOT NULL DEFAULT 14 CHECK (suspend_after_days BETWEEN 1 AND 365),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT geminis_enable_tenant_rls('wholesale_policy');

-- The services a reseller's unpaid wholesale invoice suspended (policy 'suspend'): lifted once nothing of
-- the reseller is overdue any more. To its clients the suspension is the staff's (white-label: a client never
-- learns that its provider resells).
CREATE TABLE wholesale_suspensions (
  tenant_id uuid NOT NULL,
  reseller_id uuid NOT NULL,
  service_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  suspended_on date NOT NULL,
  lifted_on date,
  PRIMARY KEY (tenant_id, service_id, invoice_id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('wholesale_suspensions');
CREATE INDEX wholesale_suspensions_open ON wholesale_suspensions (tenant_id, reseller_id) WHERE lifted_on IS NULL;
