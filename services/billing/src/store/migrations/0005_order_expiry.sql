-- How long an unpaid first invoice keeps an order open (per tenant; null: until staff cancel it).
ALTER TABLE billing_settings ADD COLUMN order_expiry_days integer CHECK (order_expiry_days BETWEEN 1 AND 365);
