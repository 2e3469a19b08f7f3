-- The add-ons bought with a client service (each renews with its own cycle and amount), for renewals.
ALTER TABLE client_services ADD COLUMN addons jsonb NOT NULL DEFAULT '[]'::jsonb;
