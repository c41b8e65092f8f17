-- reactivateMember (issue 14): what a deactivation ended is kept so it can be restored.
-- The agencies a liaison spoke for (ids of agencies of ended_memberships.tenant; no
-- foreign key: agencies are tenant rows, checked again, under RLS, when restoring).
ALTER TABLE ended_memberships ADD COLUMN agency_ids uuid[] NOT NULL DEFAULT '{}';
