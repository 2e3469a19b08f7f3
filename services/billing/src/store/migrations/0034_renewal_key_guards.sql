-- The renewal key's two foreign keys are replaced by guards on the referenced side (issue 16's benchmark:
-- a foreign key is checked row by row, a query and a FOR KEY SHARE row lock per renewal, twice per key).
--
-- Why the insert side needs no check: service_renewals has one writer, the renewal batch statement
-- (renewals.store.ts issueRenewalBatch). In that statement each key is claimed for a service the same
-- statement has just locked FOR UPDATE (it exists and cannot go away before the commit), and names the invoice
-- the same statement inserts with that very id (work → issued → inv). A key without its invoice or service can
-- only come from a rollback of part of a statement, which PostgreSQL does not do: the statement's rows commit
-- or roll back together. renewals.test.ts checks the invariant (every key has its invoice, its service, and
-- the invoice's lines for that period) after concurrent runs and after a crash mid-batch.
--
-- What the foreign keys also did, and the guards below still do: refuse to delete (or re-key) an invoice or a
-- service a renewal key names. Nothing in billing deletes either; the guards fire only on such a delete or
-- re-key, never on the hot path.
ALTER TABLE service_renewals DROP CONSTRAINT service_renewals_tenant_id_invoice_id_fkey;
ALTER TABLE service_renewals DROP CONSTRAINT service_renewals_tenant_id_service_id_fkey;

CREATE OR REPLACE FUNCTION billing_renewal_key_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'invoices' THEN
    IF EXISTS (SELECT 1 FROM service_renewals r WHERE r.tenant_id = OLD.tenant_id AND r.invoice_id = OLD.id) THEN
      RAISE EXCEPTION 'invoice % is named by a renewal key', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
  ELSIF EXISTS (SELECT 1 FROM service_renewals r WHERE r.tenant_id = OLD.tenant_id AND r.service_id = OLD.id) THEN
    RAISE EXCEPTION 'service % is named by a renewal key', OLD.id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER invoices_renewal_key_guard BEFORE DELETE ON invoices
  FOR EACH ROW EXECUTE FUNCTION billing_renewal_key_guard();
CREATE TRIGGER invoices_renewal_key_rekey BEFORE UPDATE OF tenant_id, id ON invoices
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION billing_renewal_key_guard();
CREATE TRIGGER client_services_renewal_key_guard BEFORE DELETE ON client_services
  FOR EACH ROW EXECUTE FUNCTION billing_renewal_key_guard();
CREATE TRIGGER client_services_renewal_key_rekey BEFORE UPDATE OF tenant_id, id ON client_services
  FOR EACH ROW WHEN (OLD.tenant_id IS DISTINCT FROM NEW.tenant_id OR OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION billing_renewal_key_guard();
