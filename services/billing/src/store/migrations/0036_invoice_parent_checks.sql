-- Three foreign keys of the invoice write path become one set-based check per statement plus guards on the
-- referenced side (issue 16's benchmark): invoices → clients, invoice_lines → invoices and
-- invoice_lines → client_services. A foreign key is checked row by row: a query and a FOR KEY SHARE row lock
-- (dirtying and WAL-logging the parent's row) per inserted row, ~40% of the renewal batch's trigger time.
--
-- What a foreign key guarantees, and how it still holds:
--   1. an inserted (or re-pointed) child names a parent that exists: AFTER INSERT ... FOR EACH STATEMENT
--      triggers check all the statement's new rows in one query over the transition table (a primary-key
--      probe per new row), and a changed key on
--      UPDATE is checked row by row as the foreign key did (rare: nothing in billing changes these columns);
--   2. the parent never goes away while a child names it: clients, client services and invoices are never
--      deleted nor re-keyed in billing (a client or a service ends by its status, an invoice by cancellation
--      or a credit note); the guards below refuse any delete and any change of (tenant_id, id) outright.
-- The foreign key's row lock only served 2 against a concurrent delete of the parent; a parent that can never
-- be deleted needs no lock, so no race is left: a parent seen by the check stays. A parent inserted by a
-- transaction that has not committed yet is not seen and the insert is refused (the foreign key would have
-- waited for it) — every writer inserts its invoice's client, invoice and service before or with the child.
-- renewals.test.ts checks the invariant over everything the renewal tests write, and each refusal.
ALTER TABLE invoices DROP CONSTRAINT invoices_tenant_id_client_id_fkey;
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_tenant_id_invoice_id_fkey;
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_tenant_id_service_id_fkey;

-- 1. Insert side, once per statement. Each new row's parent is one primary-key probe (a correlated scalar
-- subquery: NOT EXISTS was planned as a merge anti-join over the parent's whole index, 2 s a batch at 50k).
CREATE FUNCTION billing_invoices_client_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing record;
BEGIN
  SELECT n.tenant_id, n.client_id INTO missing FROM new_invoices n
   WHERE (SELECT true FROM clients c WHERE c.tenant_id = n.tenant_id AND c.id = n.client_id) IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invoice names client % of tenant %, which does not exist', missing.client_id, missing.tenant_id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER invoices_client_exists AFTER INSERT ON invoices
  REFERENCING NEW TABLE AS new_invoices FOR EACH STATEMENT EXECUTE FUNCTION billing_invoices_client_check();

CREATE FUNCTION billing_invoice_lines_parents_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  missing record;
BEGIN
  SELECT n.tenant_id, n.invoice_id INTO missing FROM new_lines n
   WHERE (SELECT true FROM invoices i WHERE i.tenant_id = n.tenant_id AND i.id = n.invoice_id) IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invoice line names invoice % of tenant %, which does not exist', missing.invoice_id,
      missing.tenant_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  SELECT n.tenant_id, n.service_id INTO missing FROM new_lines n
   WHERE n.service_id IS NOT NULL
     AND (SELECT true FROM client_services s WHERE s.tenant_id = n.tenant_id AND s.id = n.service_id) IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'invoice line names service % of tenant %, which does not exist', missing.service_id,
      missing.tenant_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER invoice_lines_parents_exist AFTER INSERT ON invoice_lines
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION billing_invoice_lines_parents_check();

-- A changed reference on UPDATE, row by row (as the foreign key did, lock included: no writer does this).
CREATE FUNCTION billing_invoice_parent_repointed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'invoices' THEN
    PERFORM 1 FROM clients c WHERE c.tenant_id = NEW.tenant_id AND c.id = NEW.client_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'invoice names client % of tenant %, which does not exist', NEW.client_id, NEW.tenant_id
        USING ERRCODE = 'foreign_key_violation';
    END IF;
  ELSE
    PERFORM 1 FROM invoices i WHERE i.tenant_id = NEW.tenant_id AND i.id = NEW.invoice_id FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'invoice line names invoice % of tenant %, which does not exist', NEW.invoice_id,
        NEW.tenant_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF NEW.service_id IS NOT NULL THEN
      PERFORM 1 FROM client_services s WHERE s.tenant_id = NEW.tenant_id AND s.id = NEW.service_id FOR KEY SHARE;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'invoice line names service % of tenant %, which does not exist', NEW.service_id,
          NEW.tenant_id USING ERRCODE = 'foreign_key_violation';
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER invoices_client_repointed BEFORE UPDATE OF tenant_id, client_id ON invoices
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
  EXECUTE FUNCTION billing_invoice_parent_repointed();
CREATE TRIGGER invoice_lines_parents_repointed BEFORE UPDATE OF tenant_id, invoice_id, service_id ON invoice_lines
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.invoice_id IS DISTINCT FROM NEW.invoice_id
                     OR OLD.service_id IS DISTINCT FROM NEW.service_id)
  EXECUTE FUNCTION billing_invoice_parent_repointed();

-- 2. Referenced side: never deleted, never re-keyed.
CREATE FUNCTION billing_never_deleted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% % of tenant % cannot be deleted or re-keyed (invoices and their lines name it)',
    TG_TABLE_NAME, OLD.id, OLD.tenant_id USING ERRCODE = 'foreign_key_violation';
END
$$;

CREATE TRIGGER clients_undeletable BEFORE DELETE ON clients
  FOR EACH ROW EXECUTE FUNCTION billing_never_deleted();
CREATE TRIGGER clients_unchanged_key BEFORE UPDATE OF tenant_id, id ON clients
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION billing_never_deleted();
CREATE TRIGGER invoices_undeletable BEFORE DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION billing_never_deleted();
CREATE TRIGGER invoices_unchanged_key BEFORE UPDATE OF tenant_id, id ON invoices
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION billing_never_deleted();
CREATE TRIGGER client_services_undeletable BEFORE DELETE ON client_services
  FOR EACH ROW EXECUTE FUNCTION billing_never_deleted();
CREATE TRIGGER client_services_unchanged_key BEFORE UPDATE OF tenant_id, id ON client_services
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION billing_never_deleted();
