-- Staff sign-in to match the data they hold (issue 21, part 6): a TOTP second factor,
-- recovery codes, sign-in challenges, known devices, security events shown to the user,
-- and each command's policy. Control plane, like users and auth_sessions: no RLS,
-- reached only through platform/auth/.

-- A user's TOTP factor. secret: the base32 secret encrypted with platform/crypto.py
-- (Fernet under a key derived from JOGO_SECRET_KEY). confirmed_at null: enrolment
-- started, not confirmed with a code yet (not asked at sign-in). last_step: the last
-- 30-second time step a code was accepted for; a code of that step or an earlier one
-- is a replay, refused by one UPDATE ... WHERE last_step < $step.
CREATE TABLE staff_totp (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    last_step    bigint NOT NULL DEFAULT 0
);

-- Single-use recovery codes (80 random bits each): only a SHA-256 is kept.
CREATE TABLE totp_recovery_codes (
    code_hash  text PRIMARY KEY CHECK (code_hash ~ '^[0-9a-f]{64}$'),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX totp_recovery_codes_user_idx ON totp_recovery_codes (user_id);

-- A password that was right, waiting for its second factor ('totp': a code or a recovery
-- code; 'enrol': the user must enrol first). Only a SHA-256 of the token is kept; short
-- lived and spent once.
CREATE TABLE sign_in_challenges (
    token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('totp', 'enrol')),
    client     text CHECK (length(client) <= 64),
    device     text CHECK (device ~ '^[0-9a-f]{32}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX sign_in_challenges_expiry_idx ON sign_in_challenges (expires_at);

-- Devices a user has signed in from: a fingerprint of the user agent and the network
-- (IPv4 /24, IPv6 /48). A sign-in from one not seen before is a security event.
CREATE TABLE known_devices (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device     text NOT NULL CHECK (device ~ '^[0-9a-f]{32}$'),
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, device)
);

-- What the user is shown about their own account (me { securityEvents }).
CREATE TABLE security_events (
    id      bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind    text NOT NULL CHECK (kind IN (
                'new_device', 'lockout', 'totp_enabled', 'recovery_codes',
                'recovery_code_used')),
    client  text CHECK (length(client) <= 64),
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX security_events_user_idx ON security_events (user_id, at DESC);

-- A command's sign-in policy, set by its tenant admin: TOTP mandatory for its operators
-- and tenant admins. No row: not mandatory.
CREATE TABLE tenant_sign_in_policy (
    tenant              uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    staff_totp_required boolean NOT NULL DEFAULT false,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          text NOT NULL
);
