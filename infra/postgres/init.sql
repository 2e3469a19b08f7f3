-- Two roles per service, neither superuser nor BYPASSRLS (the services refuse to start otherwise, and
-- forced row-level security applies to both — DESIGN.md §4):
--   <service>_owner  owns the service's database and runs its migrations (MIGRATION_DATABASE_URL);
--   <service>        the runtime role (DATABASE_URL): it may read and write what the owner creates, and
--                    owns nothing, so it cannot turn row-level security off or drop a table. The services
--                    check that at start whenever MIGRATION_DATABASE_URL is set.
-- Passwords here are for local development (compose); Kubernetes gets its own from its Secrets.
CREATE ROLE identity_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'identity-owner-dev-password';
CREATE ROLE identity LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'identity-dev-password';
CREATE ROLE catalog_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'catalog-owner-dev-password';
CREATE ROLE catalog LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'catalog-dev-password';
CREATE ROLE billing_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'billing-owner-dev-password';
CREATE ROLE billing LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'billing-dev-password';
CREATE ROLE provisioning_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'provisioning-owner-dev-password';
CREATE ROLE provisioning LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'provisioning-dev-password';
CREATE ROLE support_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'support-owner-dev-password';
CREATE ROLE support LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'support-dev-password';
CREATE DATABASE geminis_identity OWNER identity_owner;
CREATE DATABASE geminis_catalog OWNER catalog_owner;
CREATE DATABASE geminis_billing OWNER billing_owner;
CREATE DATABASE geminis_provisioning OWNER provisioning_owner;
CREATE DATABASE geminis_support OWNER support_owner;

-- In each database: the runtime role may connect and use what the owner creates there from now on.
\connect geminis_identity
GRANT CONNECT ON DATABASE geminis_identity TO identity;
GRANT USAGE ON SCHEMA public TO identity;
ALTER DEFAULT PRIVILEGES FOR ROLE identity_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO identity;
ALTER DEFAULT PRIVILEGES FOR ROLE identity_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO identity;
\connect geminis_catalog
GRANT CONNECT ON DATABASE geminis_catalog TO catalog;
GRANT USAGE ON SCHEMA public TO catalog;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO catalog;
ALTER DEFAULT PRIVILEGES FOR ROLE catalog_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO catalog;
\connect geminis_billing
GRANT CONNECT ON DATABASE geminis_billing TO billing;
GRANT USAGE ON SCHEMA public TO billing;
ALTER DEFAULT PRIVILEGES FOR ROLE billing_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO billing;
ALTER DEFAULT PRIVILEGES FOR ROLE billing_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO billing;
\connect geminis_provisioning
GRANT CONNECT ON DATABASE geminis_provisioning TO provisioning;
GRANT USAGE ON SCHEMA public TO provisioning;
ALTER DEFAULT PRIVILEGES FOR ROLE provisioning_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO provisioning;
ALTER DEFAULT PRIVILEGES FOR ROLE provisioning_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO provisioning;
\connect geminis_support
GRANT CONNECT ON DATABASE geminis_support TO support;
GRANT USAGE ON SCHEMA public TO support;
ALTER DEFAULT PRIVILEGES FOR ROLE support_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO support;
ALTER DEFAULT PRIVILEGES FOR ROLE support_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO support;
