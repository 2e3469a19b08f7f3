-- Billing: clients (from identity's events), settings, orders, client services, invoices with gapless
-- per-tenant numbers, payments, the account-credit ledger and idempotency keys. Every table is
-- tenant-owned: tenant_id NOT NULL, row-level security forced (no tenant set → no rows), uniqueness and
-- foreign keys composite with tenant_id. Money: bigint integer minor units next to a char(3) currency;
-- never numeric/float/money. Payments and credit entries are append-only (a trigger refuses UPDATE/DELETE).

CREATE TABLE clients (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('clients');

CREATE TABLE billing_settings (
  tenant_id uuid PRIMARY KEY,
  tax_name text NOT NULL DEFAULT 'Tax',
  tax_rate_bps integer NOT NULL DEFAULT 0 CHECK (tax_rate_bps BETWEEN 0 AND 10000),
  invoice_prefix text NOT NULL DEFAULT 'INV-',
  invoice_padding integer NOT NULL DEFAULT 6 CHECK (invoice_padding BETWEEN 1 AND 12),
  invoice_yearly_reset boolean NOT NULL DEFAULT true,
  invoice_due_days integer NOT NULL DEFAULT 7 CHECK (invoice_due_days BETWEEN 0 AND 365),
  updated_at timestamptz NOT NULL DEFAULT now()
);
SELECT geminis_enable_tenant_rls('billing_settings');

-- One counter row per (tenant, series, period): taken with an upsert inside the invoice's transaction, so
-- the row lock serialises issuance and a rollback gives the number back (no gap, no duplicate).
CREATE TABLE number_counters (
  tenant_id uuid NOT NULL,
  series text NOT NULL,
  period integer NOT NULL,
  value bigint NOT NULL CHECK (value >= 1),
  PRIMARY KEY (tenant_id, series, period)
);
SELECT geminis_enable_tenant_rls('number_counters');

CREATE TABLE orders (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'active', 'cancelled')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  total bigint NOT NULL CHECK (total >= 0),
  promotion_id uuid,
  promotion_code text,
  snapshot jsonb NOT NULL,
  placed_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('orders');
CREATE INDEX orders_client ON orders (tenant_id, client_id);

CREATE TABLE client_services (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  order_id uuid NOT NULL,
  product_id uuid NOT NULL,
  product_name text NOT NULL,
  product_type text NOT NULL,
  module text NOT NULL,
  module_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  domain text,
  cycle text NOT NULL CHECK (cycle IN ('monthly', 'quarterly', 'semiannually', 'annually', 'biennially', 'triennially', 'onetime', 'free')),
  quantity integer NOT NULL CHECK (quantity >= 1),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  recurring_amount bigint NOT NULL CHECK (recurring_amount >= 0),
  registration_date date NOT NULL,
  next_due_date date,
  status text NOT NULL CHECK (status IN ('pending', 'provisioning', 'active', 'provision_failed', 'suspended', 'terminated', 'cancelled')),
  username text,
  host text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('client_services');
CREATE INDEX client_services_client ON client_services (tenant_id, client_id);
CREATE INDEX client_services_order ON client_services (tenant_id, order_id);

CREATE TABLE invoices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  order_id uuid,
  reason text NOT NULL CHECK (reason IN ('order', 'renewal', 'manual')),
  number text,
  status text NOT NULL CHECK (status IN ('draft', 'unpaid', 'partially_paid', 'paid', 'cancelled', 'refunded')),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  subtotal bigint NOT NULL CHECK (subtotal >= 0),
  tax_name text NOT NULL,
  tax_rate_bps integer NOT NULL CHECK (tax_rate_bps BETWEEN 0 AND 10000),
  tax_total bigint NOT NULL CHECK (tax_total >= 0),
  total bigint NOT NULL CHECK (total >= 0),
  amount_paid bigint NOT NULL DEFAULT 0 CHECK (amount_paid >= 0 AND amount_paid <= total),
  buyer jsonb NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  due_date date NOT NULL,
  paid_at timestamptz,
  UNIQUE (tenant_id, id),
  -- Numbers are unique per issuer (the tenant), never globally (a global UNIQUE is a cross-tenant oracle).
  UNIQUE (tenant_id, number),
  CHECK ((status = 'draft') = (number IS NULL)),
  CHECK (total = subtotal + tax_total),
  CHECK (status <> 'paid' OR amount_paid = total),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('invoices');
CREATE INDEX invoices_client ON invoices (tenant_id, client_id);
CREATE UNIQUE INDEX invoices_first_of_order ON invoices (tenant_id, order_id) WHERE reason = 'order';

CREATE TABLE invoice_lines (
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  position integer NOT NULL,
  description text NOT NULL,
  quantity integer NOT NULL CHECK (quantity >= 1),
  unit_price bigint NOT NULL CHECK (unit_price >= 0),
  setup_fee bigint NOT NULL CHECK (setup_fee >= 0),
  discount bigint NOT NULL CHECK (discount >= 0),
  amount bigint NOT NULL CHECK (amount >= 0),
  tax bigint NOT NULL CHECK (tax >= 0),
  total bigint NOT NULL CHECK (total = amount + tax),
  service_id uuid,
  period_start date,
  period_end date,
  PRIMARY KEY (tenant_id, invoice_id, position),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, service_id) REFERENCES client_services (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('invoice_lines');

CREATE OR REPLACE FUNCTION billing_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END
$$;

CREATE TABLE payments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  client_id uuid NOT NULL,
  method text NOT NULL CHECK (method IN ('manual', 'bank_transfer', 'credit')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reference text,
  recorded_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('payments');
CREATE INDEX payments_invoice ON payments (tenant_id, invoice_id);
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Account credit: every movement is an entry (positive adds credit, negative spends it); the balance is
-- their sum per (client, currency), never a stored number.
CREATE TABLE credit_entries (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount bigint NOT NULL CHECK (amount <> 0),
  kind text NOT NULL CHECK (kind IN ('deposit', 'applied')),
  invoice_id uuid,
  payment_id uuid,
  description text NOT NULL DEFAULT '',
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'applied') = (amount < 0)),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('credit_entries');
CREATE INDEX credit_entries_client ON credit_entries (tenant_id, client_id, currency);
CREATE TRIGGER credit_entries_append_only BEFORE UPDATE OR DELETE ON credit_entries
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Idempotency-Key: per (tenant, caller, key). Claimed before the work starts ('running'), completed with
-- the answer in the work's own transaction ('done'); a failed attempt deletes its claim.
CREATE TABLE idempotency_keys (
  tenant_id uuid NOT NULL,
  caller_id uuid NOT NULL,
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'done')),
  response_status integer,
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, caller_id, key)
);
SELECT geminis_enable_tenant_rls('idempotency_keys');
