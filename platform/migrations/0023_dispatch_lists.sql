-- Dispatch lists across reports (issue 14, tenants/agencies/inbox.py): a liaison's inbox
-- reads its agencies' dispatches, operators read them by status (FAILED, DEAD); both in
-- creation order. The liaison's agencies are found by user.
CREATE INDEX dispatches_agency_idx ON dispatches (tenant_id, agency_id, created_at, id);
CREATE INDEX dispatches_status_idx ON dispatches (tenant_id, status, created_at, id);
CREATE INDEX agency_liaisons_user_idx ON agency_liaisons (tenant_id, user_id);
