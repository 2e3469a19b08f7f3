-- Mail to a closed ticket: the department decides whether it reopens the ticket (WHMCS's and Blesta's
-- default) or opens a new ticket that refers to the closed one.
ALTER TABLE departments ADD COLUMN closed_ticket_mail text NOT NULL DEFAULT 'reopen'
  CHECK (closed_ticket_mail IN ('reopen', 'new_ticket'));

-- The closed ticket a ticket follows up (opened by a mail to the closed one's reply address).
ALTER TABLE tickets ADD COLUMN follow_up_of uuid;
ALTER TABLE tickets ADD CONSTRAINT tickets_follow_up_of_fk
  FOREIGN KEY (follow_up_of) REFERENCES tickets (id) ON DELETE SET NULL;
