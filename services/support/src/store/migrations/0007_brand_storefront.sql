-- Where a tenant's clients sign in (its first custom domain), for links in its mails (password resets).
ALTER TABLE tenant_brands ADD COLUMN storefront_host text;
