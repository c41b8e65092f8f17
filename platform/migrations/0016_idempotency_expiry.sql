-- Idempotency keys live 24 hours (platform/idempotency.py, issue 13 part 4): a retry
-- within 24 h answers with the first object; after that the key is free again. Expired
-- rows are purged by the creates themselves (each claim deletes a bounded batch of its
-- tenant's expired rows), so the index below keeps that purge and the lookups cheap.
CREATE INDEX idempotency_keys_expiry_idx ON idempotency_keys (tenant_id, created_at);

-- The table keeps a SHA-256 (hex) of each key, never the key: an anonymous report's PIN
-- is derived from the key (tenants/reports/retries.py), so a copy of this table must not
-- hold what derives it. Keys stored before are hashed in place (ASCII keys, so UTF-8 and
-- Python's encoding agree); a hex digest still passes the column's CHECK. The owner lifts
-- FORCE for this one statement, as RLS would otherwise hide every tenant's rows from it.
ALTER TABLE idempotency_keys NO FORCE ROW LEVEL SECURITY;
UPDATE idempotency_keys SET client_key = encode(sha256(convert_to(client_key, 'UTF8')), 'hex');
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;

-- Creates on the platform schema (onboardTenant) make a tenant, not a row inside one, so
-- their keys live in the control plane. Same columns, no tenant: reached only through
-- the platform kernel. scope: 'user:<uuid>' or 'api_key:<uuid>'; client_key: the key's
-- SHA-256 (hex).
CREATE TABLE platform_idempotency_keys (
    operation    text NOT NULL CHECK (operation ~ '^[A-Za-z]{1,40}$'),
    scope        text NOT NULL CHECK (length(scope) <= 60),
    client_key   text NOT NULL CHECK (client_key ~ '^[A-Za-z0-9_-]{16,100}$'),
    input_sha256 text NOT NULL CHECK (input_sha256 ~ '^[0-9a-f]{64}$'),
    object_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, scope, client_key)
);
CREATE INDEX platform_idempotency_keys_expiry_idx ON platform_idempotency_keys (created_at);
