-- Staff overrides of dunning: a service exempt from automatic suspension (and so termination).
ALTER TABLE client_services
  ADD COLUMN dunning_exempt boolean NOT NULL DEFAULT false,
  ADD COLUMN dunning_exempt_reason text;

-- The late fee's line is marked, so staff can waive it (the dunning step stays: it is never added again).
ALTER TABLE invoice_lines ADD COLUMN late_fee boolean NOT NULL DEFAULT false;
