-- Reports by WhatsApp and SMS (issue 17, tenants/intake/).
--
-- intake_conversations: one conversation per command, channel and sender at a time
-- (the partial unique index), collecting what a report needs (description, category,
-- place, photos' media ids) over several messages. It ends DONE (a report was made),
-- CANCELLED ("batal"), EXPIRED (idle past expires_at: never becomes a report) or
-- REFUSED (the sender's limit). SUBMITTING: complete, the report is being made; it never
-- expires, and is finished by the next message from the same sender if it was cut short.
CREATE TABLE intake_conversations (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    channel       text NOT NULL CHECK (channel IN ('WHATSAPP', 'SMS')),
    sender        text NOT NULL CHECK (length(sender) BETWEEN 3 AND 40),
    locale        text NOT NULL DEFAULT 'id' CHECK (locale IN ('id', 'en')),
    step          text NOT NULL DEFAULT 'DESCRIPTION'
                  CHECK (step IN ('DESCRIPTION', 'CATEGORY', 'PLACE', 'SUBMITTING',
                                  'DONE', 'CANCELLED', 'EXPIRED', 'REFUSED')),
    description   text CHECK (length(description) <= 5000),
    title         text CHECK (length(title) <= 200),
    category_code text,
    latitude      double precision CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude     double precision CHECK (longitude BETWEEN 94.5 AND 141.5),
    address       text CHECK (length(address) <= 500),
    media_ids     text[] NOT NULL DEFAULT '{}' CHECK (cardinality(media_ids) <= 5),
    report_id     uuid,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    closed_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE,
    CHECK ((closed_at IS NULL) = (step IN ('DESCRIPTION', 'CATEGORY', 'PLACE', 'SUBMITTING')))
);
CREATE UNIQUE INDEX intake_conversations_open_key ON intake_conversations
    (tenant_id, channel, sender) WHERE closed_at IS NULL;
SELECT jogo_enable_tenant_rls('intake_conversations'::regclass);

-- Every inbound message id seen, so a webhook delivered again (Meta retries until it
-- gets a 200; gateways do too) changes nothing the second time.
CREATE TABLE intake_messages (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('WHATSAPP', 'SMS')),
    message_id      text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 200),
    conversation_id uuid,
    kind            text NOT NULL CHECK (kind IN ('TEXT', 'LOCATION', 'IMAGE', 'OTHER')),
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, channel, message_id)
);
SELECT jogo_enable_tenant_rls('intake_messages'::regclass);
