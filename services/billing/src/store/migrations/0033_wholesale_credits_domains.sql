-- The reseller wholesale economy, continued.
--
-- 1. Resold domains are charged wholesale too: a domain service has no platform product (catalog prices
--    TLDs), so a charge's product_id may be null; product_id is otherwise the PLATFORM's product (the order
--    line's platformProductId), never the reseller's alias of it.
ALTER TABLE wholesale_charges ALTER COLUMN product_id DROP NOT NULL;

-- 2. A wholesale credit: when a reseller's resold service ends early (its client cancelled it now, or staff
--    terminated it) within a period the platform charged, the unused days of that period's wholesale price
--    come back to the reseller (proration.ts: price × unused days / days of the period, half-up). It is a row
--    beside the charge it credits (kind 'credit', a negative price, the charge's period), so the reseller's
--    wholesale views and its margin report see it: one per (service, period) — once per cancellation.
--    Settled on the same consolidated invoice as its charge when that was not issued yet (credit_note_id
--    null), otherwise by a credit note in the platform's series against the charge's invoice, refunded to
--    the reseller's account credit at the platform.
ALTER TABLE wholesale_charges
  ADD COLUMN kind text NOT NULL DEFAULT 'charge' CHECK (kind IN ('charge', 'credit')),
  ADD COLUMN unused_days integer CHECK (unused_days >= 1),
  ADD COLUMN period_days integer CHECK (period_days >= 1),
  ADD COLUMN ended_on date,
  ADD COLUMN credit_note_id uuid;
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_price_check;
ALTER TABLE wholesale_charges
  ADD CONSTRAINT wholesale_charges_price_check
  CHECK (CASE kind WHEN 'charge' THEN price >= 0 ELSE price < 0 AND setup_fee = 0 AND retail = 0 END);
ALTER TABLE wholesale_charges DROP CONSTRAINT wholesale_charges_tenant_id_service_id_period_start_key;
ALTER TABLE wholesale_charges
  ADD CONSTRAINT wholesale_charges_period UNIQUE (tenant_id, service_id, period_start, kind);
