-- Event webhooks for integrators (issue 20, tenants/webhooks/): Standard Webhooks
-- (https://www.standardwebhooks.com/) signed POSTs of the command's events.
--
-- webhook_subscriptions: an endpoint and the event types it wants. The secret
-- ("whsec_<base64>") is encrypted like an agency's (platform/crypto.py); after a rotation
-- the previous one stays valid (and is signed with) until previous_secret_until.
-- reporter_identity is the visibility recorded at creation: whether the creator could read
-- reporter identity and asked for it.
CREATE TABLE webhook_subscriptions (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    url                   text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description           text CHECK (length(description) <= 200),
    event_types           text[] NOT NULL CHECK (cardinality(event_types) > 0),
    enabled               boolean NOT NULL DEFAULT true,
    reporter_identity     boolean NOT NULL DEFAULT false,
    timeout_seconds       integer NOT NULL DEFAULT 10 CHECK (timeout_seconds BETWEEN 1 AND 30),
    secret_enc            text NOT NULL,
    previous_secret_enc   text,
    previous_secret_until timestamptz,
    consecutive_dead      integer NOT NULL DEFAULT 0,
    disabled_at           timestamptz,
    disabled_reason       text,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_subscriptions_enabled_idx ON webhook_subscriptions (tenant_id)
    WHERE enabled;
SELECT jogo_enable_tenant_rls('webhook_subscriptions'::regclass);

-- One event to one subscription: a Standard Webhooks message, webhook-id "msg_<id>" on
-- every attempt and every replay. Written with the change that causes it (the emitter's
-- transaction), with an outbox row for its first attempt; delivered by the
-- deliver_webhook actor (lease, POST outside any transaction, record), retried with
-- backoff until DELIVERED or DEAD (like agency dispatches). ``about`` names what the
-- event is about (report event, dispatch, bulletin, post); ``payload`` is the body, made
-- on the first attempt and sent unchanged after that.
CREATE TABLE webhook_deliveries (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    subscription_id uuid NOT NULL,
    event_type      text NOT NULL,
    event_id        uuid NOT NULL,
    report_id       uuid,
    about           jsonb NOT NULL DEFAULT '{}',
    payload         jsonb,
    status          text NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'DELIVERING', 'DELIVERED', 'DEAD')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 8,
    replays         integer NOT NULL DEFAULT 0,
    last_error      text,
    lease_until     timestamptz,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, subscription_id) REFERENCES webhook_subscriptions (tenant_id, id)
        ON DELETE CASCADE
);
-- Once per event, type and subscription, whatever retries the emitter makes.
CREATE UNIQUE INDEX webhook_deliveries_event_key ON webhook_deliveries
    (tenant_id, subscription_id, event_id, event_type);
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries
    (tenant_id, subscription_id, created_at, id);
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (tenant_id, status)
    WHERE status IN ('PENDING', 'DELIVERING');
SELECT jogo_enable_tenant_rls('webhook_deliveries'::regclass);
