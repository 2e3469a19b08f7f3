-- Staff overrides of dunning: a service exempt from automatic suspension (and so termination).
ALTER TABLE client_services
  ADD COLUMN dunning_exempt boolean NOT NULL DEFAULT false,
  ADD COLUMN dunning_exempt_reason text;
