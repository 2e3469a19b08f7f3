-- Catalog: product groups, products, prices, reseller offerings, domain pricing, options, add-ons,
-- promotions and their redemptions. Every table is tenant-owned: tenant_id NOT NULL, row-level security
-- forced (no tenant set → no rows), uniqueness and foreign keys composite with tenant_id.
-- Money: bigint integer minor units with a char(3) currency; never numeric/float/money.

-- Resellers as known from identity's events (allowCustomProducts, status). tenant_id = the reseller.
CREATE TABLE resellers (
  tenant_id uuid PRIMARY KEY,
  slug text NOT NULL,
  allow_custom_products boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  profile_time timestamptz NOT NULL
);
SELECT geminis_enable_tenant_rls('resellers');

CREATE TABLE product_groups (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  sort_order integer NOT NULL DEFAULT 0,
  visible boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);
SELECT geminis_enable_tenant_rls('product_groups');

CREATE TABLE products (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  group_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  type text NOT NULL CHECK (type IN ('shared_hosting', 'reseller_hosting', 'vps', 'dedicated', 'domain', 'ssl', 'other')),
  module text NOT NULL CHECK (module IN ('cpanel', 'plesk', 'directadmin', 'registrar', 'none')),
  module_config jsonb NOT NULL DEFAULT '{}'::jsonb,
  visibility text NOT NULL CHECK (visibility IN ('visible', 'hidden', 'retired')),
  resellable boolean NOT NULL DEFAULT false,
  sort_order integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, group_id) REFERENCES product_groups (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('products');
CREATE INDEX products_resellable ON products (tenant_id) WHERE resellable;

-- Every price in one shape: (what, owner, currency, cycle) → price + setup fee.
--   product      tenant = the product's owner; the price its own clients pay
--   wholesale    tenant = the platform; what a reseller pays for a resellable platform product
--   offering     tenant = the reseller; its retail price for a platform product it resells
--   option       tenant = the product's owner; owner_id = a configurable option choice
--   addon        tenant = the product's owner; owner_id = an add-on
CREATE TABLE prices (
  tenant_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('product', 'wholesale', 'offering', 'option', 'addon')),
  owner_id uuid NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  cycle text NOT NULL CHECK (cycle IN ('monthly', 'quarterly', 'semiannually', 'annually', 'biennially', 'triennially', 'onetime', 'free')),
  price bigint NOT NULL CHECK (price >= 0),
  setup_fee bigint NOT NULL DEFAULT 0 CHECK (setup_fee >= 0),
  PRIMARY KEY (tenant_id, kind, owner_id, currency, cycle),
  CHECK (cycle <> 'free' OR (price = 0 AND setup_fee = 0))
);
SELECT geminis_enable_tenant_rls('prices');

-- A reseller's storefront switch for a resellable platform product (product_id is in the platform tenant,
-- so it cannot be a composite FK; the service checks it through the one cross-tenant read).
CREATE TABLE offerings (
  tenant_id uuid NOT NULL,
  product_id uuid NOT NULL,
  enabled boolean NOT NULL,
  -- Where the reseller lists it on its storefront: one of ITS groups (null: listed under "More products").
  group_id uuid,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, product_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES product_groups (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('offerings');

CREATE TABLE domain_prices (
  tenant_id uuid NOT NULL,
  tld text NOT NULL CHECK (tld ~ '^\.[a-z0-9-]+(\.[a-z0-9-]+)*$'),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  years integer NOT NULL CHECK (years BETWEEN 1 AND 10),
  register bigint NOT NULL CHECK (register >= 0),
  renew bigint NOT NULL CHECK (renew >= 0),
  transfer bigint NOT NULL CHECK (transfer >= 0),
  PRIMARY KEY (tenant_id, tld, currency, years)
);
SELECT geminis_enable_tenant_rls('domain_prices');

CREATE TABLE config_options (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  product_id uuid NOT NULL,
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('select', 'quantity', 'yesno')),
  min_quantity integer NOT NULL DEFAULT 0,
  max_quantity integer,
  sort_order integer NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, product_id, name),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('config_options');

-- A select has one choice per value; a quantity option one choice (the unit); a yes/no one choice (yes).
CREATE TABLE config_option_choices (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  option_id uuid NOT NULL,
  label text NOT NULL,
  sort_order integer NOT NULL DEFAULT 0,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, option_id) REFERENCES config_options (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('config_option_choices');

CREATE TABLE addons (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  product_id uuid NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, product_id, name),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('addons');

CREATE TABLE promotions (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  code text NOT NULL CHECK (code = upper(code) AND length(code) BETWEEN 1 AND 64),
  description text NOT NULL DEFAULT '',
  discount_kind text NOT NULL CHECK (discount_kind IN ('percent', 'fixed')),
  percent_bps integer CHECK (percent_bps BETWEEN 1 AND 10000),
  applies_to text NOT NULL CHECK (applies_to IN ('order', 'products', 'groups')),
  product_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
  group_ids jsonb NOT NULL DEFAULT '[]'::jsonb,
  cycles jsonb NOT NULL DEFAULT '[]'::jsonb,
  recurrence text NOT NULL CHECK (recurrence IN ('first_payment', 'recurring')),
  recurring_cycles integer CHECK (recurring_cycles >= 1),
  free_setup boolean NOT NULL DEFAULT false,
  starts_at timestamptz,
  ends_at timestamptz,
  max_uses integer CHECK (max_uses >= 1),
  max_uses_per_client integer CHECK (max_uses_per_client >= 1),
  new_clients_only boolean NOT NULL DEFAULT false,
  redeemed integer NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, code),
  CHECK (discount_kind <> 'percent' OR percent_bps IS NOT NULL),
  CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
  -- The last wall against over-redemption: even a buggy path cannot count past the limit.
  CHECK (max_uses IS NULL OR redeemed <= max_uses)
);
SELECT geminis_enable_tenant_rls('promotions');

CREATE TABLE promotion_amounts (
  tenant_id uuid NOT NULL,
  promotion_id uuid NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount bigint NOT NULL CHECK (amount > 0),
  PRIMARY KEY (tenant_id, promotion_id, currency),
  FOREIGN KEY (tenant_id, promotion_id) REFERENCES promotions (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('promotion_amounts');

-- One row per (promotion, order): counted, or refused because the limit was reached when it arrived.
CREATE TABLE promotion_redemptions (
  tenant_id uuid NOT NULL,
  promotion_id uuid NOT NULL,
  order_id uuid NOT NULL,
  client_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('counted', 'refused')),
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, promotion_id, order_id),
  FOREIGN KEY (tenant_id, promotion_id) REFERENCES promotions (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('promotion_redemptions');
CREATE INDEX promotion_redemptions_client ON promotion_redemptions (tenant_id, promotion_id, client_id)
  WHERE status = 'counted';

-- Orders seen from billing's events: "new client" = a client with no order placed yet.
CREATE TABLE placed_orders (
  tenant_id uuid NOT NULL,
  order_id uuid NOT NULL,
  client_id uuid NOT NULL,
  placed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_id)
);
SELECT geminis_enable_tenant_rls('placed_orders');
CREATE INDEX placed_orders_client ON placed_orders (tenant_id, client_id);
