-- Control plane: tenants, users, memberships, API keys, audit. No RLS here: these
-- tables are reached only through the platform kernel. Columns that point at a tenant
-- are called "tenant", never "tenant_id": "tenant_id" marks a tenant-scoped table.

CREATE TABLE tenants (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug          text NOT NULL UNIQUE
                  CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 3 AND 200),
    kind          text NOT NULL CHECK (kind IN ('POLRES', 'POLRESTA', 'POLRESTABES')),
    polda_code    text NOT NULL,
    region_code   text NOT NULL CHECK (region_code ~ '^[0-9]{2}\.[0-9]{2}$'),
    time_zone     text NOT NULL CHECK (time_zone IN ('WIB', 'WITA', 'WIT')),
    ticket_prefix text NOT NULL CHECK (ticket_prefix ~ '^[A-Z]{2,6}$'),
    status        text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'SUSPENDED')),
    modules       text[] NOT NULL DEFAULT '{}',
    template      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_polda_idx ON tenants (polda_code);

CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    username      text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    password_hash text NOT NULL,
    full_name     text,
    is_active     boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE memberships (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN (
                   'citizen', 'officer', 'operator', 'tenant_admin', 'agency_liaison',
                   'polda_supervisor', 'national_supervisor', 'oversight_auditor',
                   'platform_admin')),
    polda_code text,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- tenant roles need a tenant; national roles must not have one
    CHECK ((role IN ('citizen', 'officer', 'operator', 'tenant_admin', 'agency_liaison'))
           = (tenant IS NOT NULL)),
    CHECK ((role = 'polda_supervisor') = (polda_code IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (user_id, tenant, role)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       text NOT NULL UNIQUE,
    key_hash     text NOT NULL,
    scopes       text[] NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- Append-only: the app role may insert and read, never change or delete.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'cli', 'system')),
    role       text,
    action     text NOT NULL,
    tenant     uuid,
    target     text,
    detail     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant, at);

REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM jogo_app;
