-- The tenant of the current transaction, as set by platform.db.tenant_tx. NULL when
-- unset, and also when a pooled connection reverted it to '' after an earlier commit.
CREATE FUNCTION jogo_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;


-- Turns on fail-closed row-level security for one tenant-scoped table. Every later
-- migration that adds a tenant table calls it, so the rule is written once.
CREATE FUNCTION jogo_enable_tenant_rls(tbl regclass) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format(
        'CREATE POLICY tenant_isolation ON %s '
        'USING (tenant_id = jogo_current_tenant()) '
        'WITH CHECK (tenant_id = jogo_current_tenant())', tbl);
END $$;
