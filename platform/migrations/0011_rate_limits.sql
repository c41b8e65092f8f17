-- Counted limits (sign-in attempts, anonymous reports, tracking guesses), shared by every
-- API replica: one row per key holding the times of its recent hits (at most the limit),
-- counted by one atomic upsert (platform/ratelimit.py). Control plane: keys are hashes.

CREATE TABLE rate_limits (
    key        text PRIMARY KEY CHECK (length(key) <= 100),
    hits       timestamptz[] NOT NULL,
    refused    integer NOT NULL DEFAULT 0 CHECK (refused >= 0),
    expires_at timestamptz NOT NULL
);
CREATE INDEX rate_limits_expires_idx ON rate_limits (expires_at);
