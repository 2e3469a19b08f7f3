-- client_services_renewable (next_due_date) is covered by client_services_renewal_walk (next_due_date, id)
-- (0015), same partial predicate: every query it served the walk index serves. It was also a trap for the
-- renewal batch (issue 16's benchmark): with the tenant policy's filter estimated at ~1% of rows, the planner
-- read all renewable services through it and sorted them (2 s at 1M services) instead of walking the keyset
-- index in order and stopping at the batch's limit. One index fewer to maintain on every due-date change too.
DROP INDEX client_services_renewable;
