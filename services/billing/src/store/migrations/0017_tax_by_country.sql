-- Taxes by the client's country (and optionally region), per tenant, and what an invoice PDF prints of its
-- seller. Billing's projection of identity's clients carries no address (identity.client.created.v1 has no
-- country or VAT id), so billing keeps each client's tax profile itself (set by the tenant's staff).
ALTER TABLE billing_settings
  -- the tenant's own country: a business client with a VAT id in another EU country is reverse-charged
  ADD COLUMN tax_country char(2) CHECK (tax_country ~ '^[A-Z]{2}$'),
  -- the seller block of its invoices (null: the tenant's brand name as billing knows it)
  ADD COLUMN seller_name text CHECK (length(seller_name) BETWEEN 1 AND 200),
  ADD COLUMN seller_address text CHECK (length(seller_address) <= 500),
  ADD COLUMN seller_tax_id text CHECK (length(seller_tax_id) <= 40),
  ADD COLUMN brand_color char(7) CHECK (brand_color ~ '^#[0-9a-f]{6}$');

-- One rate per (country, region) of a tenant; region '' is the whole country (a region's own rule wins).
CREATE TABLE tax_rules (
  tenant_id uuid NOT NULL,
  country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  region text NOT NULL DEFAULT '' CHECK (region ~ '^[A-Z0-9]{0,3}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 40),
  rate_bps integer NOT NULL CHECK (rate_bps BETWEEN 0 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, country, region)
);
SELECT geminis_enable_tenant_rls('tax_rules');

ALTER TABLE clients
  ADD COLUMN country char(2) CHECK (country ~ '^[A-Z]{2}$'),
  ADD COLUMN region text CHECK (region ~ '^[A-Z0-9]{1,3}$'),
  ADD COLUMN vat_id text CHECK (vat_id ~ '^[A-Z]{2}[A-Z0-9+*]{2,13}$'),
  ADD COLUMN tax_exempt boolean NOT NULL DEFAULT false;

-- Why an invoice charges no tax (reverse charge, an exempt client), printed on it.
ALTER TABLE invoices ADD COLUMN tax_note text;

-- The tax of a client's invoices, in one place for every way an invoice is issued (orders, changes of
-- package in Node, the set-based renewal run in SQL):
--   1. an exempt client: 0, with a note;
--   2. reverse charge: the client has a VAT id, both the tenant's country and the client's are in the EU
--      and they differ: 0, with the note the EU requires;
--   3. the tenant's rule for the client's country and region, else for the whole country;
--   4. otherwise the tenant's default rate (what it charged before rules existed).
-- Then each line's tax is rateOf(line, rate): half-up per line in minor units (unchanged rule).
CREATE OR REPLACE FUNCTION billing_tax_for(p_tenant uuid, p_client uuid)
RETURNS TABLE (name text, rate_bps integer, note text)
LANGUAGE sql STABLE AS $$
  WITH eu(code) AS (VALUES ('AT'),('BE'),('BG'),('HR'),('CY'),('CZ'),('DK'),('EE'),('FI'),('FR'),('DE'),('GR'),
                           ('HU'),('IE'),('IT'),('LV'),('LT'),('LU'),('MT'),('NL'),('PL'),('PT'),('RO'),('SK'),
                           ('SI'),('ES'),('SE')),
  f AS (
    SELECT coalesce(b.tax_name, 'Tax') AS default_name, coalesce(b.tax_rate_bps, 0) AS default_bps,
           b.tax_country, c.country, c.region, c.vat_id, coalesce(c.tax_exempt, false) AS exempt,
           (SELECT r.name FROM tax_rules r
             WHERE r.tenant_id = p_tenant AND r.country = c.country AND r.region IN ('', coalesce(c.region, ''))
             ORDER BY r.region DESC LIMIT 1) AS rule_name,
           (SELECT r.rate_bps FROM tax_rules r
             WHERE r.tenant_id = p_tenant AND r.country = c.country AND r.region IN ('', coalesce(c.region, ''))
             ORDER BY r.region DESC LIMIT 1) AS rule_bps
      FROM (SELECT 1) one
      LEFT JOIN billing_settings b ON b.tenant_id = p_tenant
      LEFT JOIN clients c ON c.tenant_id = p_tenant AND c.id = p_client
  )
  SELECT coalesce(f.rule_name, f.default_name),
         CASE WHEN f.exempt THEN 0
              WHEN f.vat_id IS NOT NULL AND f.country <> f.tax_country
                   AND f.country IN (SELECT code FROM eu) AND f.tax_country IN (SELECT code FROM eu) THEN 0
              ELSE coalesce(f.rule_bps, f.default_bps) END,
         CASE WHEN f.exempt THEN 'Tax exempt'
              WHEN f.vat_id IS NOT NULL AND f.country <> f.tax_country
                   AND f.country IN (SELECT code FROM eu) AND f.tax_country IN (SELECT code FROM eu)
                THEN 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC). '
                     || 'Customer VAT ID: ' || f.vat_id
         END
    FROM f
$$;
