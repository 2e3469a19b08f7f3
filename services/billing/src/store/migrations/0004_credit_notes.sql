-- Credit notes: their own gapless series per tenant (counter series 'credit_note'), against a paid invoice,
-- never more than was paid; refunded to the client's account credit (a ledger deposit in the same
-- transaction). Append-only like payments.
CREATE TABLE credit_notes (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  client_id uuid NOT NULL,
  number text NOT NULL,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount bigint NOT NULL CHECK (amount > 0),
  reason text NOT NULL,
  refund_to text NOT NULL CHECK (refund_to IN ('credit')),
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES clients (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('credit_notes');
CREATE INDEX credit_notes_invoice ON credit_notes (tenant_id, invoice_id);
CREATE TRIGGER credit_notes_append_only BEFORE UPDATE OR DELETE ON credit_notes
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();
