-- Payment gateways per tenant (Stripe), payment attempts and the Stripe events applied (inbox by event id).
-- Credentials are encrypted at rest (AES-256-GCM, bound to the tenant); secrets never resolve across tenants.

ALTER TABLE payments DROP CONSTRAINT payments_method_check;
ALTER TABLE payments ADD CONSTRAINT payments_method_check CHECK (method IN ('manual', 'bank_transfer', 'credit', 'stripe'));

CREATE TABLE payment_gateways (
  tenant_id uuid NOT NULL,
  provider text NOT NULL CHECK (provider IN ('stripe')),
  secret_key_enc text NOT NULL,
  webhook_secret_enc text NOT NULL,
  secret_key_hint text NOT NULL,
  publishable_key text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider)
);
SELECT geminis_enable_tenant_rls('payment_gateways');

-- One row per PaymentIntent billing created for an invoice; paid only when Stripe's signed event says so.
CREATE TABLE payment_attempts (
  tenant_id uuid NOT NULL,
  provider_ref text NOT NULL,
  invoice_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, provider_ref),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('payment_attempts');

CREATE TABLE stripe_events (
  tenant_id uuid NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, event_id)
);
SELECT geminis_enable_tenant_rls('stripe_events');

-- The Stripe payment of an attempt is recorded once, whatever the redeliveries.
CREATE UNIQUE INDEX payments_stripe_ref ON payments (tenant_id, reference) WHERE method = 'stripe';

-- Replayed answers are the stored text itself (json keeps it byte for byte; jsonb would reorder keys).
ALTER TABLE idempotency_keys ALTER COLUMN response_body TYPE json USING response_body::json;
