-- The outbox stores an event as the JSON text it is published as (json, not jsonb). Nothing queries inside a
-- stored envelope on a hot path; the relay reads it as text and publishes those bytes. As jsonb, every event
-- paid a parse into jsonb's binary form on insert and a print back to text when the relay read it: ~4 µs each
-- way for an envelope on the bench machine, more than the row's heap insert, once per event on both the
-- request path and the relay, and ~10 µs per renewal invoice built in SQL. json keeps the text as written
-- (checked to be valid JSON on insert); ->, ->> and casts to jsonb still work for tests and ad-hoc reads.
-- A jsonb value assigned to these columns is cast (assignment cast) to its text.
ALTER TABLE outbox
  ALTER COLUMN envelope TYPE json USING envelope::json,
  ALTER COLUMN headers DROP DEFAULT,
  ALTER COLUMN headers TYPE json USING headers::json,
  ALTER COLUMN headers SET DEFAULT '{}'::json;
