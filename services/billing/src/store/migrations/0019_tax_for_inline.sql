-- billing_tax_for (0017) again, as one SELECT without WITH: PostgreSQL inlines it into the set-based renewal
-- run (a join per due service instead of a function call per row). Same rules, same answers.
CREATE OR REPLACE FUNCTION billing_tax_for(p_tenant uuid, p_client uuid)
RETURNS TABLE (name text, rate_bps integer, note text)
LANGUAGE sql STABLE AS $$
  SELECT coalesce(r.name, b.tax_name, 'Tax'),
         CASE WHEN coalesce(c.tax_exempt, false) OR x.reverse THEN 0
              ELSE coalesce(r.rate_bps, b.tax_rate_bps, 0) END,
         CASE WHEN coalesce(c.tax_exempt, false) THEN 'Tax exempt'
              WHEN x.reverse
                THEN 'Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC). '
                     || 'Customer VAT ID: ' || c.vat_id
         END
    FROM (SELECT 1) one
    LEFT JOIN billing_settings b ON b.tenant_id = p_tenant
    LEFT JOIN clients c ON c.tenant_id = p_tenant AND c.id = p_client
    -- the client's region's rule, else its country's
    LEFT JOIN LATERAL (
      SELECT t.name, t.rate_bps FROM tax_rules t
       WHERE t.tenant_id = p_tenant AND t.country = c.country AND t.region IN ('', coalesce(c.region, ''))
       ORDER BY t.region DESC LIMIT 1
    ) r ON true
    -- reverse charge: a VAT id, both countries in the EU, and not the same one
    CROSS JOIN LATERAL (
      SELECT coalesce(c.vat_id IS NOT NULL AND c.country <> b.tax_country
                      AND c.country = ANY (ARRAY['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE',
                                                 'IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES','SE'])
                      AND b.tax_country = ANY (ARRAY['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU',
                                                     'IE','IT','LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES',
                                                     'SE']), false) AS reverse
    ) x
$$;
