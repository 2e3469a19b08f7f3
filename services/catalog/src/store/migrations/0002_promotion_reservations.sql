-- Promotion uses are reserved by billing when an order is placed (service-key route), and given back when
-- the order is cancelled: a reservation is a 'counted' redemption row; a released one stays as 'released'
-- (so a late billing.order.placed.v1 for the same order is recognised and never counted again).
ALTER TABLE promotion_redemptions DROP CONSTRAINT promotion_redemptions_status_check;
ALTER TABLE promotion_redemptions
  ADD CONSTRAINT promotion_redemptions_status_check CHECK (status IN ('counted', 'refused', 'released'));
ALTER TABLE promotion_redemptions ADD COLUMN released_at timestamptz;
CREATE INDEX promotion_redemptions_order ON promotion_redemptions (tenant_id, order_id);
