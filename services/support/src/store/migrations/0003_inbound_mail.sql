-- Mail received for tickets (a client's reply, or a new ticket by mail), by Message-ID: the same message
-- delivered twice (an MTA retry, a second pipe) lands in its ticket once. Goes with its ticket.
CREATE TABLE inbound_mails (
  tenant_id uuid NOT NULL,
  message_id text NOT NULL,
  ticket_id uuid NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, message_id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);
SELECT geminis_enable_tenant_rls('inbound_mails');
CREATE INDEX inbound_mails_ticket ON inbound_mails (tenant_id, ticket_id);
-- department addresses are looked up when mail arrives
CREATE INDEX departments_email ON departments (lower(email));
