-- Creates are idempotent under a client key, because mobile networks retry
-- (platform/idempotency.py): one row per (tenant, operation, caller scope, key) names the
-- object the first request made and a SHA-256 of its canonical input. A retry with the
-- same input gets that object back; other input is IDEMPOTENCY_CONFLICT. The primary key
-- is what makes parallel duplicates wait for one another (INSERT ... ON CONFLICT DO NOTHING).
-- scope: 'user:<uuid>', 'api_key:<uuid>' or 'anonymous' (the key alone).
CREATE TABLE idempotency_keys (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    operation    text NOT NULL CHECK (operation ~ '^[A-Za-z]{1,40}$'),
    scope        text NOT NULL CHECK (length(scope) <= 60),
    client_key   text NOT NULL CHECK (client_key ~ '^[A-Za-z0-9_-]{16,100}$'),
    input_sha256 text NOT NULL CHECK (input_sha256 ~ '^[0-9a-f]{64}$'),
    object_id    uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, scope, client_key)
);
SELECT jogo_enable_tenant_rls('idempotency_keys'::regclass);
