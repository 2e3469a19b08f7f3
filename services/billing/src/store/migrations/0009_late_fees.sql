-- An optional late fee per tenant, added once to a renewal invoice still unpaid `late_fee_after_days` after
-- its due date: fixed (minor units of `late_fee_currency`; invoices in another currency get none) or a
-- percentage of the invoice's total (basis points, rounded half-up in minor units). Untaxed.
ALTER TABLE billing_settings
  ADD COLUMN late_fee_kind text CHECK (late_fee_kind IN ('fixed', 'percent')),
  ADD COLUMN late_fee_value bigint CHECK (late_fee_value > 0),
  ADD COLUMN late_fee_currency char(3) CHECK (late_fee_currency ~ '^[A-Z]{3}$'),
  ADD COLUMN late_fee_after_days integer CHECK (late_fee_after_days BETWEEN 0 AND 365),
  ADD CONSTRAINT billing_settings_late_fee CHECK (
    (late_fee_kind IS NULL AND late_fee_value IS NULL AND late_fee_currency IS NULL AND late_fee_after_days IS NULL)
    OR (late_fee_kind = 'fixed' AND late_fee_value IS NOT NULL AND late_fee_currency IS NOT NULL
        AND late_fee_after_days IS NOT NULL)
    OR (late_fee_kind = 'percent' AND late_fee_value BETWEEN 1 AND 10000 AND late_fee_currency IS NULL
        AND late_fee_after_days IS NOT NULL));

ALTER TABLE dunning_steps DROP CONSTRAINT dunning_steps_step_check;
ALTER TABLE dunning_steps ADD CONSTRAINT dunning_steps_step_check CHECK (step IN ('late_fee', 'suspend', 'terminate'));
