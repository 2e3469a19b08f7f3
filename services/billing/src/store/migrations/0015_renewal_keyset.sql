-- The renewal run walks the renewable services in (next_due_date, id) order, one bounded batch after the
-- other from where the last one stopped (a keyset): this partial index serves that walk.
CREATE INDEX client_services_renewal_walk ON client_services (next_due_date, id)
  WHERE status IN ('active', 'suspended') AND cancel_at IS NULL;
