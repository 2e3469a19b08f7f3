-- The client-service lifecycle: renewals, dunning, staff actions and cancellations.

-- Per tenant: how many days before the due date a renewal invoice is issued; after how many days overdue a
-- service is suspended (null: never automatically); after how many days suspended for non-payment it is
-- terminated (null: never automatically).
ALTER TABLE billing_settings
  ADD COLUMN renewal_lead_days integer NOT NULL DEFAULT 14 CHECK (renewal_lead_days BETWEEN 0 AND 365),
  ADD COLUMN suspend_after_days integer DEFAULT 5 CHECK (suspend_after_days BETWEEN 0 AND 365),
  ADD COLUMN terminate_after_days integer CHECK (terminate_after_days BETWEEN 1 AND 3650);

-- Why a service is suspended (overdue: billing's dunning, lifted by paying; staff: lifted only by staff;
-- provisioning: found suspended on its panel), since when (the job's calendar date), what billing last asked
-- provisioning and has not yet seen done (a request that stays pending is visible to staff), and a client's
-- cancellation request (no renewal is issued for a service pending cancellation).
ALTER TABLE client_services
  ADD COLUMN suspend_reason text CHECK (suspend_reason IN ('overdue', 'staff', 'provisioning')),
  ADD COLUMN suspend_note text,
  ADD COLUMN suspended_on date,
  ADD COLUMN pending_action text CHECK (pending_action IN ('suspend', 'unsuspend', 'terminate')),
  ADD COLUMN pending_since timestamptz,
  ADD COLUMN cancel_at text CHECK (cancel_at IN ('end_of_period', 'immediate')),
  ADD COLUMN cancel_reason text,
  ADD COLUMN cancel_requested_at timestamptz;
-- Services already suspended were suspended on their panel (provisioning's result): that is their reason.
UPDATE client_services SET suspend_reason = 'provisioning' WHERE status = 'suspended';
ALTER TABLE client_services
  ADD CONSTRAINT client_services_suspension CHECK ((status = 'suspended') = (suspend_reason IS NOT NULL));

-- One renewal per (service, period start): the key that makes the renewal job idempotent per period, whatever
-- the replicas, retries or crashes. Claimed with ON CONFLICT DO NOTHING in the batch that issues the invoice.
CREATE TABLE service_renewals (
  tenant_id uuid NOT NULL,
  service_id uuid NOT NULL,
  period_start date NOT NULL,
  period_end date NOT NULL CHECK (period_end > period_start),
  invoice_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, service_id, period_start),
  UNIQUE (tenant_id, invoice_id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES client_services (tenant_id, id),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('service_renewals');
CREATE INDEX client_services_renewable ON client_services (next_due_date)
  WHERE status IN ('active', 'suspended') AND cancel_at IS NULL;
CREATE INDEX invoices_open_due ON invoices (due_date) WHERE status IN ('unpaid', 'partially_paid');

-- Each dunning step runs once per invoice (suspend, terminate), whatever the reruns: claimed here first.
CREATE TABLE dunning_steps (
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  step text NOT NULL CHECK (step IN ('suspend', 'terminate')),
  service_id uuid NOT NULL,
  taken_on date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, invoice_id, step),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  FOREIGN KEY (tenant_id, service_id) REFERENCES client_services (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('dunning_steps');

-- UUIDv7 in SQL (PostgreSQL 15 has none built in): the set-based jobs write invoices and outbox rows without
-- a round trip per row. 48 bits of Unix milliseconds, then random bits, version 7, RFC 4122 variant.
CREATE OR REPLACE FUNCTION billing_uuidv7() RETURNS uuid
LANGUAGE sql VOLATILE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1), 'hex')::uuid
$$;
