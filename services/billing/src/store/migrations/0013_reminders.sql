-- Payment reminders per tenant: days relative to the due date (negative: before it, positive: overdue), each
-- sent once per invoice (claimed in dunning_steps as 'reminder:<offset>'), and the late fee announced.
ALTER TABLE billing_settings
  ADD COLUMN reminder_days integer[] NOT NULL DEFAULT '{-3,1,7}'
    CHECK (cardinality(reminder_days) <= 10 AND -60 <= ALL (reminder_days) AND 365 >= ALL (reminder_days));

ALTER TABLE dunning_steps DROP CONSTRAINT dunning_steps_step_check;
ALTER TABLE dunning_steps ADD CONSTRAINT dunning_steps_step_check
  CHECK (step IN ('suspend', 'terminate', 'late_fee') OR step ~ '^reminder:-?[0-9]{1,3}$');
ALTER TABLE dunning_steps ALTER COLUMN service_id DROP NOT NULL;
