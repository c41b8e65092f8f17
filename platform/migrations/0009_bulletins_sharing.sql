-- Bulletins (informasi): each row is one CAP 1.2 message. An update or a cancel is a new
-- row in the same chain that references the earlier ones; the row it replaces is marked
-- SUPERSEDED or CANCELLED. Sharing: citizens' situational posts, public only once approved.

CREATE TABLE bulletins (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    chain_id        uuid NOT NULL,
    msg_type        text NOT NULL CHECK (msg_type IN ('ALERT', 'UPDATE', 'CANCEL')),
    status          text NOT NULL
                    CHECK (status IN ('DRAFT', 'PUBLISHED', 'SUPERSEDED', 'CANCELLED')),
    category        text NOT NULL,
    severity        text NOT NULL
                    CHECK (severity IN ('EXTREME', 'SEVERE', 'MODERATE', 'MINOR', 'UNKNOWN')),
    urgency         text NOT NULL
                    CHECK (urgency IN ('IMMEDIATE', 'EXPECTED', 'FUTURE', 'PAST', 'UNKNOWN')),
    certainty       text NOT NULL
                    CHECK (certainty IN ('OBSERVED', 'LIKELY', 'POSSIBLE', 'UNLIKELY', 'UNKNOWN')),
    headline        text NOT NULL CHECK (length(headline) BETWEEN 5 AND 160),
    description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 5000),
    instruction     text,
    headline_en     text,
    description_en  text,
    instruction_en  text,
    area_desc       text NOT NULL CHECK (length(area_desc) BETWEEN 2 AND 300),
    polygon         jsonb,
    circle          jsonb,
    region_codes    text[] NOT NULL DEFAULT '{}',
    valid_from      timestamptz NOT NULL,
    valid_until     timestamptz NOT NULL,
    note            text,
    created_by      uuid,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_by    uuid,
    published_at    timestamptz,
    replaced_at     timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, chain_id) REFERENCES bulletins (tenant_id, id) ON DELETE CASCADE,
    CHECK (valid_until > valid_from),
    CHECK (polygon IS NOT NULL OR circle IS NOT NULL OR cardinality(region_codes) > 0),
    CHECK ((status = 'DRAFT') = (published_at IS NULL))
);
CREATE INDEX bulletins_live_idx ON bulletins (tenant_id, valid_until)
    WHERE status = 'PUBLISHED';
CREATE INDEX bulletins_chain_idx ON bulletins (tenant_id, chain_id, published_at);
SELECT jogo_enable_tenant_rls('bulletins'::regclass);

CREATE TABLE shared_posts (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    author_user_id     uuid NOT NULL REFERENCES users (id),
    body               text NOT NULL CHECK (length(body) BETWEEN 3 AND 2000),
    latitude           double precision CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude          double precision CHECK (longitude BETWEEN 94.5 AND 141.5),
    photo_key          text,
    photo_type         text CHECK (photo_type IN ('image/jpeg', 'image/png', 'image/webp')),
    status             text NOT NULL
                       CHECK (status IN ('PENDING', 'HELD', 'APPROVED', 'REJECTED')),
    hold_reasons       text[] NOT NULL DEFAULT '{}',
    moderated_by       uuid,
    moderated_at       timestamptz,
    rejection_reason   text,
    report_id          uuid,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id),
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK ((photo_key IS NULL) = (photo_type IS NULL)),
    CHECK (status <> 'REJECTED' OR rejection_reason IS NOT NULL),
    CHECK (status <> 'HELD' OR cardinality(hold_reasons) > 0)
);
CREATE INDEX shared_posts_feed_idx ON shared_posts (tenant_id, moderated_at DESC, id)
    WHERE status = 'APPROVED';
CREATE INDEX shared_posts_queue_idx ON shared_posts (tenant_id, status, created_at)
    WHERE status IN ('PENDING', 'HELD');
CREATE INDEX shared_posts_author_idx ON shared_posts (tenant_id, author_user_id, created_at);
SELECT jogo_enable_tenant_rls('shared_posts'::regclass);

-- A report made from a shared post says so on its (internal) timeline.
ALTER TABLE report_events DROP CONSTRAINT report_events_kind_check;
ALTER TABLE report_events ADD CONSTRAINT report_events_kind_check CHECK (kind IN (
    'SUBMITTED', 'STATUS', 'NOTE', 'ASSIGNMENT', 'DISPATCH',
    'DUPLICATE_HINT', 'SLA_BREACH', 'ATTACHMENT', 'FROM_SHARING'));
