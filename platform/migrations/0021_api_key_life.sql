-- API keys have a life (issue 14, item 5): an expiry, who revoked them, and which key a
-- rotation replaced. last_used_at (0001) is now kept: at most one write per key a minute.
ALTER TABLE api_keys ADD COLUMN expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_by text;
ALTER TABLE api_keys ADD COLUMN replaces uuid REFERENCES api_keys (id) ON DELETE SET NULL;
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant, created_at DESC);

-- The command's own audit log (item 7) is read per tenant, newest first, by id.
CREATE INDEX audit_log_tenant_id_idx ON audit_log (tenant, id DESC);
