-- White-label of resold products (issue 12): the product id a reseller's client sees (client_services.
-- product_id, from the quote line) is the reseller's alias of the platform's product, so the platform's id
-- is kept beside it, from the same order line (details.platformProductId of the internal snapshot), for
-- provisioning to find the platform's placement of the product. null: the tenant's own product, a domain.
ALTER TABLE client_services ADD COLUMN platform_product_id uuid;

-- Services ordered before: from their order's snapshot line of the same product (its id was the
-- platform's then, so this is the same id, now said explicitly).
UPDATE client_services s
   SET platform_product_id = (
     SELECT (x -> 'details' ->> 'platformProductId')::uuid
       FROM orders o, jsonb_array_elements(o.snapshot -> 'lines') x
      WHERE o.tenant_id = s.tenant_id AND o.id = s.order_id
        AND x ->> 'kind' = 'product' AND x ->> 'productId' = s.product_id::text
        AND jsonb_typeof(x -> 'details' -> 'platformProductId') = 'string'
      LIMIT 1)
 WHERE s.product_id IS NOT NULL;
