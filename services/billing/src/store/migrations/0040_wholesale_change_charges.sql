-- The reseller wholesale economy, continued (issue 16): a change of package of a resold service changes
-- what the reseller owes the platform for the rest of the period it is in, not only from the next period on.
--
-- When a change of package applies within a period the platform charged (a 'charge' row for it exists,
-- invoiced or not), a row of kind 'change' beside that charge records the prorated wholesale difference for
-- the period's unused days (proration.ts: each of the old and the new wholesale × unused days / days of the
-- period, half-up in minor units; price = new − old): positive (an upgrade) the reseller owes it, a line of
-- its own on its next consolidated invoice; negative (a downgrade, or a resold product changed for the
-- reseller's own) it is a credit, netted on the charge's line when the charge was not invoiced yet, else
-- settled by a credit note against the charge's invoice (credit_note_id), as a cancellation's credit is.
--
-- change_id: the change of package (service_changes.id, in the reseller's tenant): one row per change, the
-- key that makes applying it idempotent. rate_from / rate_to: the service's wholesale per period (× its
-- quantity, add-ons aside) before and after the change, so a later cancellation in the same period credits
-- the unused days of what the reseller pays since the change (the charge's price plus each change's
-- rate_to − rate_from), not of the period's first price. changed_on: the day the change applied (the first
-- of its unused days). retail: what the reseller's client was invoiced (positive) or credited (negative) for
-- the same change, for the reseller's margin.
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_kind_check;
ALTER TABLE wholesale_charges
  ADD CONSTRAINT wholesale_charges_kind_check CHECK (kind IN ('charge', 'credit', 'change'));
ALTER TABLE wholesale_charges
  ADD COLUMN change_id uuid,
  ADD COLUMN rate_from bigint CHECK (rate_from >= 0),
  ADD COLUMN rate_to bigint CHECK (rate_to >= 0),
  ADD COLUMN changed_on date,
  ADD CONSTRAINT wholesale_charges_change_whole
    CHECK ((kind = 'change') = (change_id IS NOT NULL AND rate_from IS NOT NULL AND rate_to IS NOT NULL
                                AND changed_on IS NOT NULL AND unused_days IS NOT NULL
                                AND period_days IS NOT NULL));
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_retail_check;
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_price_check;
ALTER TABLE wholesale_charges
  ADD CONSTRAINT wholesale_charges_price_check
  CHECK (CASE kind WHEN 'charge' THEN price >= 0 AND retail >= 0
                   WHEN 'credit' THEN price < 0 AND setup_fee = 0 AND retail = 0
                   ELSE price <> 0 AND setup_fee = 0 END);

-- Exactly one 'charge' row and at most one (cancellation) 'credit' row per (service, period), as before;
-- any number of 'change' rows per period, one per change.
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_period;
CREATE UNIQUE INDEX wholesale_charges_period ON wholesale_charges (tenant_id, service_id, period_start, kind)
  WHERE kind <> 'change';
CREATE UNIQUE INDEX wholesale_charges_change ON wholesale_charges (tenant_id, change_id) WHERE kind = 'change';
-- A period's changes, looked up beside its charge (a cancellation's price since them, the consolidated run's
-- netting): the unique index above leaves them out.
CREATE INDEX wholesale_charges_changes ON wholesale_charges (tenant_id, service_id, period_start)
  WHERE kind = 'change';
