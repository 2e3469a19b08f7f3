-- A credit note may be refunded to the card it was paid with: the refund is requested from Stripe after the
-- credit note commits, with an idempotency key derived from the credit note (retries never refund twice),
-- and retried until Stripe confirms.
ALTER TABLE credit_notes DROP CONSTRAINT credit_notes_refund_to_check;
ALTER TABLE credit_notes ADD CONSTRAINT credit_notes_refund_to_check CHECK (refund_to IN ('credit', 'stripe'));

CREATE TABLE credit_note_refunds (
  tenant_id uuid NOT NULL,
  credit_note_id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  payment_intent text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  refund_id text,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, credit_note_id),
  FOREIGN KEY (tenant_id, credit_note_id) REFERENCES credit_notes (tenant_id, id)
);
SELECT geminis_enable_tenant_rls('credit_note_refunds');
CREATE INDEX credit_note_refunds_pending ON credit_note_refunds (updated_at) WHERE status = 'pending';
