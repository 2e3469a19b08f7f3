-- Support: departments, tickets, their messages and internal notes, canned replies. Every table is
-- tenant-owned: tenant_id NOT NULL, row-level security forced (no tenant set → no rows).

-- A department belongs to the platform or to a reseller. `shared` (platform departments only) offers it to
-- every reseller's clients as well.
CREATE TABLE departments (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  name text NOT NULL,
  email text NOT NULL,
  visibility text NOT NULL CHECK (visibility IN ('public', 'hidden')),
  shared boolean NOT NULL DEFAULT false,
  default_assignee_id uuid,
  first_response_minutes integer CHECK (first_response_minutes > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, name)
);
SELECT geminis_enable_tenant_rls('departments');
CREATE INDEX departments_shared ON departments (tenant_id) WHERE shared;

-- tenant_id = the client's tenant (its reseller sees it), even when the department is a shared platform
-- one: hence department_id references the department by id alone.
CREATE TABLE tickets (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  client_id uuid NOT NULL,
  department_id uuid REFERENCES departments (id),
  subject text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  status text NOT NULL CHECK (status IN ('open', 'answered', 'customer_reply', 'on_hold', 'closed')),
  opened_by text NOT NULL CHECK (opened_by IN ('client', 'staff', 'system')),
  assignee_id uuid,
  related_service_id uuid,
  related_invoice_id uuid,
  tags text[] NOT NULL DEFAULT '{}',
  -- the event that opened a system ticket: one ticket per event, whatever the redeliveries
  origin_event_id uuid,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  status_changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  closed_at timestamptz,
  first_response_at timestamptz,
  sla_due_at timestamptz,
  sla_breached_at timestamptz,
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, origin_event_id)
);
SELECT geminis_enable_tenant_rls('tickets');
-- Keyset pages (newest first) per tenant, and per client, with the filters staff use.
CREATE INDEX tickets_tenant_page ON tickets (tenant_id, id DESC);
CREATE INDEX tickets_client_page ON tickets (tenant_id, client_id, id DESC);
CREATE INDEX tickets_status ON tickets (tenant_id, status, id DESC);
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id, id DESC) WHERE assignee_id IS NOT NULL;
-- the department filter, and the foreign key's check when a department is deleted
CREATE INDEX tickets_department ON tickets (department_id, id DESC);
CREATE INDEX tickets_sla_pending ON tickets (sla_due_at)
  WHERE first_response_at IS NULL AND sla_breached_at IS NULL AND status <> 'closed';
CREATE INDEX tickets_awaiting_client ON tickets (status_changed_at) WHERE status = 'answered';

CREATE TABLE ticket_messages (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  ticket_id uuid NOT NULL,
  author_id uuid,
  author text NOT NULL CHECK (author IN ('client', 'staff', 'system')),
  body text NOT NULL,
  internal boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
  -- an internal note is staff's, or the system's (facts for staff, such as why billing suspended)
  CHECK (NOT internal OR author IN ('staff', 'system'))
);
SELECT geminis_enable_tenant_rls('ticket_messages');
CREATE INDEX ticket_messages_ticket ON ticket_messages (tenant_id, ticket_id, id);

CREATE TABLE canned_replies (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, title)
);
SELECT geminis_enable_tenant_rls('canned_replies');
