-- What each renewal of a resold domain owes the platform: the platform's RENEWAL price of the TLD for the
-- domain's term, from the order's renewal quote (the line's wholesale there). The wholesale run charged every
-- term of a domain its registration (or transfer) wholesale, read from the order line: a reseller paid the
-- platform's first-year price at each renewal, often a promotional register price far from its renew price.
-- null: not a resold domain, or a domain ordered before this column (its order line's price still applies:
-- nothing was recorded then to do better).
ALTER TABLE client_services ADD COLUMN renewal_wholesale bigint CHECK (renewal_wholesale >= 0);
