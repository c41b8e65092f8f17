-- Reports, their timeline and attachments; SLA settings per category; ticket counters.

-- SLA per category (LAPOR!-SP4N defaults); urgent reports count in minutes.
ALTER TABLE report_categories
    ADD COLUMN verify_working_days     integer NOT NULL DEFAULT 3  CHECK (verify_working_days BETWEEN 1 AND 60),
    ADD COLUMN followup_working_days   integer NOT NULL DEFAULT 5  CHECK (followup_working_days BETWEEN 1 AND 60),
    ADD COLUMN autoclose_working_days  integer NOT NULL DEFAULT 10 CHECK (autoclose_working_days BETWEEN 1 AND 60),
    ADD COLUMN urgent_verify_minutes   integer NOT NULL DEFAULT 15 CHECK (urgent_verify_minutes BETWEEN 1 AND 1440),
    ADD COLUMN urgent_followup_minutes integer NOT NULL DEFAULT 60 CHECK (urgent_followup_minutes BETWEEN 1 AND 10080);

-- Readable tickets (MLG-2026-000123): one counter row per tenant and year, bumped with
-- UPDATE ... RETURNING so concurrent submissions never share a number.
CREATE TABLE ticket_counters (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    year       integer NOT NULL,
    last_value integer NOT NULL,
    PRIMARY KEY (tenant_id, year)
);

CREATE TABLE reports (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    ticket               text NOT NULL,
    category_id          uuid NOT NULL,
    title                text NOT NULL CHECK (length(title) BETWEEN 5 AND 200),
    description          text NOT NULL CHECK (length(description) BETWEEN 10 AND 5000),
    latitude             double precision NOT NULL CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude            double precision NOT NULL CHECK (longitude BETWEEN 94.5 AND 141.5),
    address              text CHECK (length(address) <= 500),
    occurred_at          timestamptz NOT NULL,
    urgent               boolean NOT NULL DEFAULT false,
    anonymous            boolean NOT NULL,
    pin_hash             text,
    reporter_user_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    reporter_name        text CHECK (length(reporter_name) <= 120),
    reporter_phone       text CHECK (length(reporter_phone) <= 20),
    submitted_by         text NOT NULL,
    status               text NOT NULL DEFAULT 'SUBMITTED' CHECK (status IN (
                             'SUBMITTED', 'VERIFIED', 'DISPATCHED', 'IN_PROGRESS',
                             'RESOLVED', 'CLOSED', 'REJECTED')),
    assigned_officer_id  uuid REFERENCES users (id) ON DELETE SET NULL,
    assigned_unit        text CHECK (length(assigned_unit) <= 120),
    duplicate_of         uuid,
    reject_reason        text,
    verify_due_at        timestamptz NOT NULL,
    followup_due_at      timestamptz,
    autoclose_at         timestamptz,
    verify_breached_at   timestamptz,
    followup_breached_at timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    verified_at          timestamptz,
    dispatched_at        timestamptz,
    resolved_at          timestamptz,
    closed_at            timestamptz,
    search               tsvector GENERATED ALWAYS AS (
                             to_tsvector('simple', title || ' ' || description || ' ' || coalesce(address, ''))
                         ) STORED,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, ticket),
    FOREIGN KEY (tenant_id, category_id) REFERENCES report_categories (tenant_id, id),
    FOREIGN KEY (tenant_id, duplicate_of) REFERENCES reports (tenant_id, id),
    CHECK (NOT anonymous OR (pin_hash IS NOT NULL AND reporter_user_id IS NULL)),
    CHECK ((status = 'REJECTED') = (reject_reason IS NOT NULL))
);
CREATE INDEX reports_created_idx ON reports (tenant_id, created_at DESC, id DESC);
CREATE INDEX reports_status_idx ON reports (tenant_id, status, created_at DESC);
CREATE INDEX reports_category_idx ON reports (tenant_id, category_id, created_at DESC);
CREATE INDEX reports_reporter_idx ON reports (tenant_id, reporter_user_id) WHERE reporter_user_id IS NOT NULL;
CREATE INDEX reports_assignee_idx ON reports (tenant_id, assigned_officer_id) WHERE assigned_officer_id IS NOT NULL;
CREATE INDEX reports_geo_idx ON reports (tenant_id, latitude, longitude);
CREATE INDEX reports_search_idx ON reports USING gin (search);
CREATE INDEX reports_open_due_idx ON reports (tenant_id, status, verify_due_at)
    WHERE status IN ('SUBMITTED', 'VERIFIED', 'DISPATCHED', 'IN_PROGRESS', 'RESOLVED');

-- The timeline: every status change, note, assignment and dispatch; public or internal.
CREATE TABLE report_events (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    report_id   uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN (
                    'SUBMITTED', 'STATUS', 'NOTE', 'ASSIGNMENT', 'DISPATCH',
                    'DUPLICATE_HINT', 'SLA_BREACH', 'ATTACHMENT')),
    from_status text,
    to_status   text,
    note        text CHECK (length(note) <= 5000),
    public      boolean NOT NULL,
    actor_id    uuid,
    actor_name  text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_events_report_idx ON report_events (tenant_id, report_id, created_at, id);

CREATE TABLE report_attachments (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    report_id    uuid NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size_bytes   integer NOT NULL CHECK (size_bytes BETWEEN 1 AND 10485760),
    sha256       text NOT NULL,
    storage_key  text NOT NULL,
    uploaded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX report_attachments_report_idx ON report_attachments (tenant_id, report_id);

SELECT jogo_enable_tenant_rls('ticket_counters'::regclass);
SELECT jogo_enable_tenant_rls('reports'::regclass);
SELECT jogo_enable_tenant_rls('report_events'::regclass);
SELECT jogo_enable_tenant_rls('report_attachments'::regclass);
