-- Sessions that last a shift, and people administration (issue 14, items 3 and 4).
-- Control plane: no RLS, reached only through platform/auth/.

-- A sign-in session: one per POST /auth/token, the "family" of its refresh tokens.
-- Access tokens carry its id (the `sid` claim); a revoked or expired session refuses
-- them at once. expires_at is the absolute lifetime (a shift), idle_until moves with
-- every refresh.
CREATE TABLE auth_sessions (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    idle_until     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text CHECK (revoked_reason IN (
                       'logout', 'reuse', 'password', 'deactivated', 'admin')),
    client         text CHECK (length(client) <= 64)
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL;
CREATE INDEX auth_sessions_expiry_idx ON auth_sessions (expires_at);

-- Refresh tokens: only a SHA-256 of each (256 random bits) is kept. Each is used once:
-- used_at is set by the refresh that rotates it, in one statement, so of parallel
-- refreshes with one token exactly one wins. A used token presented again is reuse.
CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    session_id uuid NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    issued_at  timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

-- One-time codes a tenant admin hands to a person: to activate a new account or to set
-- a new password. Only a SHA-256 is kept; single use, short-lived.
CREATE TABLE password_codes (
    code_hash  text PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('activate', 'reset')),
    tenant     uuid REFERENCES tenants (id) ON DELETE CASCADE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_codes_user_idx ON password_codes (user_id);

-- A user made with an activation code has no password until they set one.
ALTER TABLE users ADD COLUMN activated_at timestamptz DEFAULT now();
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- Memberships a tenant admin ended: the live rows are deleted (so everything that reads
-- memberships sees only current ones); what they were is kept here for the members list.
CREATE TABLE ended_memberships (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    roles      text[] NOT NULL,
    ended_at   timestamptz NOT NULL DEFAULT now(),
    ended_by   text NOT NULL,
    PRIMARY KEY (user_id, tenant)
);
