-- Domain jobs may also set the records of the registrar's DNS.
ALTER TABLE domain_jobs DROP CONSTRAINT domain_jobs_action_check;
ALTER TABLE domain_jobs ADD CONSTRAINT domain_jobs_action_check CHECK (
  action IN ('register', 'transfer', 'renew', 'nameservers', 'lock', 'privacy', 'contacts', 'child_host', 'dns',
             'callback')
);
