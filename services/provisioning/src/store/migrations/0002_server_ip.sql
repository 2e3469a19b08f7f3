-- The shared IPv4 address a server hosts new accounts on. Plesk's webspace add needs it (gen_setup
-- ip_address); other panels pick their own when it is absent.
ALTER TABLE servers ADD COLUMN ip_address text CHECK (ip_address ~ '^(\d{1,3}\.){3}\d{1,3}$');
