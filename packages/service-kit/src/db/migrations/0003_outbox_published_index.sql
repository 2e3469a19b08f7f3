-- Nothing reads published outbox rows by when they were published (no query, no retention job uses this
-- index), yet every row the relay confirmed cost an entry in it. The relay now deletes a confirmed row
-- (or, where it is kept, only marks it): one index write less per event either way.
DROP INDEX IF EXISTS outbox_published;
