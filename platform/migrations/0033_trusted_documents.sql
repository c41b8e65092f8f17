-- Trusted documents (issue 20, part 3): the GraphQL operations a command's tenant admin
-- registered for one API key. A key marked trusted_documents_only may run only these,
-- sent by their SHA-256 (Apollo's persistedQuery extension) or as the same text
-- (platform/auth/trusted.py, graphql/persisted.py).
--
-- The flag lives on the key (control plane: read with the key in the one lookup each
-- request already makes); the documents are the command's own, a tenant table under
-- FORCE RLS like every other: one command never reads or runs another's. The key
-- reference is to a control-plane table (a Citus reference table), so it needs no
-- tenant_id. Automatic persisted queries (APQ) are not stored here: they live in each
-- API process's memory (graphql/persisted.py says why).
ALTER TABLE api_keys ADD COLUMN trusted_documents_only boolean NOT NULL DEFAULT false;

CREATE TABLE trusted_documents (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    document   text NOT NULL CHECK (length(document) BETWEEN 1 AND 262144),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    PRIMARY KEY (tenant_id, api_key_id, sha256)
);
SELECT jogo_enable_tenant_rls('trusted_documents'::regclass);
