-- White-label of resold products (issue 12). A reseller's clients must not be able to tell what is resold
-- or from whom, so every id they see of a resold product (the product, its options, choices and add-ons)
-- is an alias: a UUID made from HMAC-SHA256(alias_salt, platform id) (domain/alias.ts). The salt is random
-- per offering (gen_random_uuid is PostgreSQL's strong random source: 2 × 122 random bits), never shown,
-- and kept when the offering is switched off and on again, so an alias is stable.
-- name/description: the reseller's own wording of the product on its storefront (null: the platform's).
ALTER TABLE offerings
  ADD COLUMN alias_salt text NOT NULL
    DEFAULT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
  ADD COLUMN name text CHECK (name IS NULL OR char_length(name) BETWEEN 1 AND 200),
  ADD COLUMN description text CHECK (description IS NULL OR char_length(description) <= 5000);
