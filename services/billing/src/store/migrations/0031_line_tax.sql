-- One invoice line's tax from its price, as money.ts's lineTax computes it, for the set-based runs (wholesale,
-- and the renewal run once it reads the tenant's tax_inclusive): half-up per line, in minor units.
--   exclusive: price × bps / 10000                 (the tax comes on top: the line's total is price + tax)
--   inclusive: price × bps / (10000 + bps)         (= price − price/(1+rate): the tax is inside the price)
-- In numeric, so no price × rate overflows bigint; a single SELECT, so PostgreSQL inlines it.
CREATE OR REPLACE FUNCTION billing_line_tax(p_price bigint, p_bps integer, p_inclusive boolean)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_inclusive
              THEN div(2 * p_price::numeric * p_bps + 10000 + p_bps, 2 * (10000 + p_bps))
              ELSE div(p_price::numeric * p_bps + 5000, 10000) END::bigint
$$;
