-- The tax rules of billing_tax_for (0017, 0019) from the values of rows the caller has already read: the
-- set-based renewal run joins each claimed service's client and tenant settings once (it needs the client
-- for the invoice's buyer anyway) and resolves the tax from them, instead of billing_tax_for reading
-- billing_settings and clients again per invoice. billing_tax_for is now this over its own two lookups: one
-- place for the rules, same answers. Both stay single SELECTs, inlined by PostgreSQL into the caller.
--   1. an exempt client: 0, with a note;
--   2. reverse charge: the client has a VAT id, both the tenant's country and the client's are in the EU
--      and they differ: 0, with the note the EU requires;
--   3. the tenant's rule for the client's country and region, else for the whole country;
--   4. otherwise the tenant's default rate (null settings: 'Tax' at 0).
CREATE OR REPLACE FUNCTION billing_tax_from(p_tenant uuid, p_default_name text, p_default_bps integer,
                                            p_tenant_country char(2), p_country char(2), p_region text,
                                            p_vat_id text, p_exempt boolean)
RETURNS TABLE (name text, rate_bps integer, note text)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(r.name, p_default_name, 'Tax'),
         CASE WHEN coalesce(p_exempt, false) OR x.reverse THEN 0
              ELSE coalesce(r.rate_bps, p_default_bps, 0) END,
         CASE WHEN coalesce(p_exempt, false) THEN 'Tax exempt'
              WHEN x.reverse
                THEN 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC). '
                     || 'Customer VAT ID: ' || p_vat_id
         END
    FROM (SELECT 1) one
    -- the client's region's rule, else its country's
    LEFT JOIN LATERAL (
      SELECT t.name, t.rate_bps FROM tax_rules t
       WHERE t.tenant_id = p_tenant AND t.country = p_country AND t.region IN ('', coalesce(p_region, ''))
       ORDER BY t.region DESC LIMIT 1
    ) r ON true
    -- reverse charge: a VAT id, both countries in the EU, and not the same one
    CROSS JOIN LATERAL (
      SELECT coalesce(p_vat_id IS NOT NULL AND p_country <> p_tenant_country
                      AND p_country = ANY (ARRAY['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE',
                                                 'IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES','SE']::bpchar[])
                      AND p_tenant_country = ANY (ARRAY['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU',
                                                        'IE','IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES',
                                                        'SE']::bpchar[]), false) AS reverse
    ) x
$$;

CREATE OR REPLACE FUNCTION billing_tax_for(p_tenant uuid, p_client uuid)
RETURNS TABLE (name text, rate_bps integer, note text)
LANGUAGE sql STABLE AS $$
  SELECT f.name, f.rate_bps, f.note
    FROM (SELECT 1) one
    LEFT JOIN billing_settings b ON b.tenant_id = p_tenant
    LEFT JOIN clients c ON c.tenant_id = p_tenant AND c.id = p_client
    CROSS JOIN LATERAL billing_tax_from(p_tenant, b.tax_name, b.tax_rate_bps, b.tax_country, c.country, c.region,
                                        c.vat_id, c.tax_exempt) f
$$;
