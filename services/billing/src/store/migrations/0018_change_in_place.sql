-- A change of package billing applied is requested from provisioning (change_package_requested); when
-- provisioning reports it done on the panel (provisioning.service.package_changed.v1), the change is in
-- place: when, and on which panel package. Null while it is still only requested.
ALTER TABLE service_changes
  ADD COLUMN in_place_at timestamptz,
  ADD COLUMN panel_package text CHECK (length(panel_package) BETWEEN 1 AND 200),
  ADD CONSTRAINT service_changes_in_place CHECK (in_place_at IS NULL OR status = 'applied');
