-- The tenant counts only in the transaction that set it (issue 18).
--
-- Pooled connections go back to the pool without a reset statement, and every product
-- transaction sets app.tenant_id for itself. A value set for the whole session instead
-- (a bug, refused by tests/test_layout.py) would still be seen by statements that run
-- outside any transaction. platform.db's BEGIN therefore also stamps
-- app.tenant_at with the transaction's start time, transaction-local, and the tenant is
-- read only when that stamp is this transaction's: a value left on the session, or read
-- in another (implicit) transaction, is no tenant at all, and RLS fails closed.
CREATE OR REPLACE FUNCTION jogo_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN current_setting('app.tenant_at', true) = transaction_timestamp()::text
                THEN NULLIF(current_setting('app.tenant_id', true), '')::uuid END
    $$;
