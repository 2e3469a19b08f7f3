-- One database per service, owned by a login role that is neither superuser nor BYPASSRLS: the services
-- refuse to start otherwise, and forced row-level security applies to them (DESIGN.md §4).
CREATE ROLE identity LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'identity-dev-password';
CREATE ROLE catalog LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'catalog-dev-password';
CREATE ROLE billing LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'billing-dev-password';
CREATE ROLE provisioning LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'provisioning-dev-password';
CREATE ROLE support LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'support-dev-password';
CREATE DATABASE geminis_identity OWNER identity;
CREATE DATABASE geminis_catalog OWNER catalog;
CREATE DATABASE geminis_billing OWNER billing;
CREATE DATABASE geminis_provisioning OWNER provisioning;
CREATE DATABASE geminis_support OWNER support;
