-- Attachments kept in PostgreSQL with their ticket (deleted with it), their type sniffed from the bytes.
CREATE TABLE ticket_attachments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  ticket_id uuid NOT NULL,
  filename text NOT NULL,
  content_type text NOT NULL,
  size integer NOT NULL CHECK (size > 0),
  sha256 text NOT NULL,
  data bytea NOT NULL,
  author text NOT NULL CHECK (author IN ('client', 'staff')),
  author_id uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('ticket_attachments');
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (tenant_id, ticket_id, id);

-- A ticket merged into another: closed, its messages and attachments moved; mail to it follows.
ALTER TABLE tickets ADD COLUMN merged_into_id uuid;

-- The client's satisfaction rating of a closed ticket (one per ticket; a later one replaces it).
CREATE TABLE ticket_ratings (
  tenant_id uuid NOT NULL,
  ticket_id uuid NOT NULL,
  client_id uuid NOT NULL,
  score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment text,
  rated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, ticket_id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('ticket_ratings');
