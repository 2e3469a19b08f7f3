-- Automatic charges: a client's saved Stripe payment method (by reference only: Stripe's customer and
-- payment-method ids, the card's brand and last digits for display; never a card number), charged on the
-- due date of its open invoices, a declined charge retried on the tenant's schedule (days after the due date).

ALTER TABLE billing_settings
  ADD COLUMN auto_charge_retry_days integer[] NOT NULL DEFAULT '{1,3,5}'
    CHECK (cardinality(auto_charge_retry_days) <= 10 AND 0 < ALL (auto_charge_retry_days)
           AND 90 >= ALL (auto_charge_retry_days));

CREATE TABLE client_payment_methods (
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider IN ('stripe')),
  customer_ref text NOT NULL CHECK (customer_ref ~ '^cus_[A-Za-z0-9]+$'),
  payment_method_ref text NOT NULL CHECK (payment_method_ref ~ '^pm_[A-Za-z0-9]+$'),
  brand text,
  last4 text CHECK (last4 ~ '^[0-9]{4}$'),
  exp_month integer CHECK (exp_month BETWEEN 1 AND 12),
  exp_year integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, client_id, provider),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('client_payment_methods');

-- One row per (invoice, attempt): attempt 0 on the due date, attempt n on due date + the schedule's n-th
-- day. Claimed set-based (ON CONFLICT DO NOTHING) before Stripe is called, so an attempt is made once;
-- its Stripe idempotency key is derived from (invoice, attempt), so a retry of an attempt whose answer was
-- lost ('unknown') finds Stripe's first answer instead of charging again. The amount is fixed at claim time
-- (the same key must always carry the same parameters).
CREATE TABLE auto_charge_attempts (
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt BETWEEN 0 AND 10),
  scheduled_on date NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CHECK (status IN ('pending', 'unknown', 'succeeded', 'processing', 'declined', 'skipped')),
  payment_intent_ref text,
  error_code text,
  decline_code text,
  message text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, invoice_id, attempt),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('auto_charge_attempts');
CREATE INDEX auto_charge_attempts_open ON auto_charge_attempts (scheduled_on) WHERE status IN ('pending', 'unknown');
