-- Promotion uses billing holds at catalog, tracked so none is ever lost: written (committed) BEFORE catalog
-- is asked to reserve, marked 'placed' in the order's own transaction, 'releasing' in the cancel's. A hold
-- still 'holding' after a while (the order never committed: a failure or a crash) or 'releasing' (catalog
-- did not answer) is released by a periodic sweep until catalog confirms.
CREATE TABLE promotion_holds (
  tenant_id uuid NOT NULL,
  order_id uuid NOT NULL,
  promotion_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('holding', 'placed', 'releasing', 'released')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);
SELECT geminis_enable_tenant_rls('promotion_holds');
CREATE INDEX promotion_holds_open ON promotion_holds (updated_at) WHERE status IN ('holding', 'releasing');
