-- Citizens are told what happens to their reports (issue 17, tenants/notifications/).
--
-- notification_gateways: how a command reaches people on each channel (a WhatsApp
-- Business Cloud API endpoint, a generic HTTP SMS gateway, SMTP, Web Push VAPID keys);
-- the secret is encrypted like an agency's (platform/crypto.py).
CREATE TABLE notification_gateways (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('WHATSAPP', 'SMS', 'EMAIL', 'WEBPUSH')),
    config      jsonb NOT NULL DEFAULT '{}',
    secret_enc  text,
    enabled     boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind)
);
SELECT jogo_enable_tenant_rls('notification_gateways'::regclass);

-- Where a person wants to be told: a signed-in citizen's channels (user_id), or the
-- channel an anonymous reporter left on one report (report_id). Exactly one of the two.
CREATE TABLE notification_channels (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    report_id   uuid,
    channel     text NOT NULL CHECK (channel IN ('WEBPUSH', 'WHATSAPP', 'SMS', 'EMAIL')),
    address     text NOT NULL CHECK (length(address) BETWEEN 3 AND 4000),
    locale      text NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    removed_at  timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE,
    CHECK ((user_id IS NULL) <> (report_id IS NULL))
);
-- One live entry per address and owner: adding it again is the same channel.
CREATE UNIQUE INDEX notification_channels_user_key ON notification_channels
    (tenant_id, user_id, channel, address) WHERE user_id IS NOT NULL AND removed_at IS NULL;
CREATE UNIQUE INDEX notification_channels_report_key ON notification_channels
    (tenant_id, report_id, channel, address) WHERE report_id IS NOT NULL AND removed_at IS NULL;
SELECT jogo_enable_tenant_rls('notification_channels'::regclass);

-- One message to one address, delivered by the deliver_notification actor through the
-- outbox, retried with backoff until it is SENT or DEAD (like agency dispatches).
CREATE TABLE notifications (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    report_id       uuid,
    event_id        uuid,
    channel         text NOT NULL CHECK (channel IN ('WEBPUSH', 'WHATSAPP', 'SMS', 'EMAIL')),
    address         text NOT NULL,
    locale          text NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en')),
    template        text NOT NULL,
    params          jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED', 'DEAD')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text,
    lease_until     timestamptz,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE
);
-- Exactly once per event and address, whatever retries the caller makes.
CREATE UNIQUE INDEX notifications_event_key ON notifications (tenant_id, event_id, channel, address)
    WHERE event_id IS NOT NULL;
CREATE INDEX notifications_report_idx ON notifications (tenant_id, report_id, created_at, id);
CREATE INDEX notifications_status_idx ON notifications (tenant_id, status, created_at, id);
SELECT jogo_enable_tenant_rls('notifications'::regclass);

-- How a report reached us; operators see it.
ALTER TABLE reports ADD COLUMN channel text NOT NULL DEFAULT 'API'
    CHECK (channel IN ('API', 'WEB', 'WHATSAPP', 'SMS', 'OPEN311'));
