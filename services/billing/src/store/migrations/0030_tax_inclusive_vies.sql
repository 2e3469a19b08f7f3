-- Inclusive prices per tenant: when true, a line's price already includes the tax (tax = price − price/(1+rate),
-- half-up per line; the line's amount is the price less that tax, its total the price). Default: exclusive.
ALTER TABLE billing_settings ADD COLUMN IF NOT EXISTS tax_inclusive boolean NOT NULL DEFAULT false;

-- Whether the client's VAT id was confirmed by the live VIES check (false: off, VIES down, or never checked;
-- the format check applies either way).
ALTER TABLE clients ADD COLUMN IF NOT EXISTS vies_checked boolean NOT NULL DEFAULT false;
