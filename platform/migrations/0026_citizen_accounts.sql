-- Citizen accounts (issue 17, item 3): sign-up and sign-in with a phone number and a
-- one-time code, and consent to the privacy notice. Control plane: no RLS, reached only
-- through platform/auth/.

-- A citizen's phone (E.164), unique: the one way a phone account signs in. Staff users
-- have none. A phone user has no password (password_hash NULL), so /auth/token refuses
-- it like any wrong password.
ALTER TABLE users ADD COLUMN phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$');
CREATE UNIQUE INDEX users_phone_key ON users (phone);

-- One-time sign-in codes sent by SMS or WhatsApp. Only an HMAC-SHA256 of the code
-- (keyed with JOGO_SECRET_KEY, bound to the command and the number) is kept. A command
-- and a number have at most one live code: a new one replaces the older one in place
-- (the partial unique index). Spent by one UPDATE ... WHERE used_at IS NULL; a wrong
-- guess counts in attempts, and at the cap the code is dead.
CREATE TABLE phone_codes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    tenant     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    phone      text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    channel    text NOT NULL CHECK (channel IN ('SMS', 'WHATSAPP')),
    code_hash  text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    attempts   integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    client     text CHECK (length(client) <= 64)
);
CREATE UNIQUE INDEX phone_codes_live_key ON phone_codes (tenant, phone) WHERE used_at IS NULL;
CREATE INDEX phone_codes_expiry_idx ON phone_codes (expires_at);

-- Consent to the privacy notice (platform/auth/privacy.py): which version, when, from
-- which command and client. One row per user and version; a new version asks again.
CREATE TABLE privacy_consents (
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    notice_version text NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 32),
    tenant         uuid REFERENCES tenants (id) ON DELETE SET NULL,
    accepted_at    timestamptz NOT NULL DEFAULT now(),
    client         text CHECK (length(client) <= 64),
    PRIMARY KEY (user_id, notice_version)
);
