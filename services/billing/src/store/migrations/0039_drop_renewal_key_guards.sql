-- 0034's guards refused to delete or re-key an invoice or a service a renewal key names. 0036 made every
-- invoice and client service undeletable and its key unchangeable outright (billing_never_deleted), which
-- covers them: the four triggers only ran a lookup of service_renewals before 0036's refusal. Dropped; the
-- refusal is 0036's (renewals.test checks each).
DROP TRIGGER invoices_renewal_key_guard ON invoices;
DROP TRIGGER invoices_renewal_key_rekey ON invoices;
DROP TRIGGER client_services_renewal_key_guard ON client_services;
DROP TRIGGER client_services_renewal_key_rekey ON client_services;
DROP FUNCTION billing_renewal_key_guard();
