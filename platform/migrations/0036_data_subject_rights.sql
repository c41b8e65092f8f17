-- Personal data under UU PDP No. 27/2022 (issue 21, parts 2, 3 and 7; tenants/privacy/):
-- data-subject requests with a deadline per right, legal holds on reports, retention
-- rules and the runs that apply them, and restrictions of processing.

-- A command's own deadline per right, in hours, where its data-protection officer set
-- one; a right without a row takes the default of tenants/privacy/deadlines.py.
CREATE TABLE privacy_deadlines (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    request_right text NOT NULL CHECK (request_right IN ('ACCESS', 'CORRECTION', 'ERASURE', 'RESTRICTION')),
    hours         integer NOT NULL CHECK (hours BETWEEN 1 AND 2160),
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, request_right)
);
SELECT jogo_enable_tenant_rls('privacy_deadlines'::regclass);

-- A request from a person about their own data: made by them (SELF), or recorded by an
-- operator after checking who they are (OPERATOR, with identity_check saying how).
-- due_at = received_at + the right's deadline when it was received.
CREATE TABLE data_subject_requests (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    subject_user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    request_right   text NOT NULL CHECK (request_right IN ('ACCESS', 'CORRECTION', 'ERASURE', 'RESTRICTION')),
    status          text NOT NULL DEFAULT 'RECEIVED'
                    CHECK (status IN ('RECEIVED', 'IN_PROGRESS', 'DONE', 'REFUSED')),
    made_by         text NOT NULL CHECK (made_by IN ('SELF', 'OPERATOR')),
    identity_check  text CHECK (length(identity_check) BETWEEN 3 AND 500),
    correction      jsonb,
    refusal_reason  text CHECK (length(refusal_reason) BETWEEN 3 AND 1000),
    received_at     timestamptz NOT NULL,
    due_at          timestamptz NOT NULL,
    done_at         timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK ((status = 'REFUSED') = (refusal_reason IS NOT NULL)),
    CHECK (made_by = 'SELF' OR identity_check IS NOT NULL),
    CHECK ((request_right = 'CORRECTION') = (correction IS NOT NULL) OR status IN ('DONE', 'REFUSED'))
);
-- One open request per person and right: asking again (or twice at once) is the same one.
CREATE UNIQUE INDEX data_subject_requests_open_key ON data_subject_requests
    (tenant_id, subject_user_id, request_right) WHERE status IN ('RECEIVED', 'IN_PROGRESS');
CREATE INDEX data_subject_requests_due_idx ON data_subject_requests (tenant_id, status, due_at);
SELECT jogo_enable_tenant_rls('data_subject_requests'::regclass);

-- Each step of a request: who (a staff username, or 'subject' for the person), what, when.
CREATE TABLE data_subject_request_log (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    request_id uuid NOT NULL,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor      text NOT NULL,
    step       text NOT NULL CHECK (length(step) BETWEEN 1 AND 40),
    note       text CHECK (length(note) <= 2000),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, request_id) REFERENCES data_subject_requests (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX data_subject_request_log_idx ON data_subject_request_log (tenant_id, request_id, at);
SELECT jogo_enable_tenant_rls('data_subject_request_log'::regclass);

-- A legal hold: a report under investigation keeps its data (neither erasure nor
-- retention touches it) until an operator lifts the hold. Set and lift are audited.
ALTER TABLE reports
    ADD COLUMN legal_hold_reason  text CHECK (length(legal_hold_reason) BETWEEN 3 AND 1000),
    ADD COLUMN legal_hold_by      text,
    ADD COLUMN legal_hold_at      timestamptz,
    -- When the reporter's identity, and the report's photos, were removed (erasure or
    -- retention): what was done once is not done again.
    ADD COLUMN identity_erased_at timestamptz,
    ADD COLUMN photos_erased_at   timestamptz,
    ADD CONSTRAINT reports_legal_hold_check
        CHECK ((legal_hold_reason IS NULL) = (legal_hold_at IS NULL));
CREATE INDEX reports_legal_hold_idx ON reports (tenant_id, legal_hold_at) WHERE legal_hold_at IS NOT NULL;

-- A command's own retention per category, in days, where its DPO set one; the others
-- take the defaults of tenants/privacy/retention.py.
CREATE TABLE retention_rules (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    category   text NOT NULL CHECK (category IN ('REPORTER_IDENTITY', 'REPORT_PHOTOS', 'NOTIFICATIONS')),
    days       integer NOT NULL CHECK (days BETWEEN 1 AND 36500),
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, category)
);
SELECT jogo_enable_tenant_rls('retention_rules'::regclass);

-- What each retention run did: its clock, the counts per category, the reports it left
-- alone because of a legal hold.
CREATE TABLE retention_runs (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    as_of       timestamptz NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    counts      jsonb NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX retention_runs_idx ON retention_runs (tenant_id, started_at DESC);
SELECT jogo_enable_tenant_rls('retention_runs'::regclass);

-- A restriction of processing a person asked for: NOTIFICATIONS stops every message
-- about their reports (tenants/notifications/actions.py).
CREATE TABLE processing_restrictions (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('NOTIFICATIONS')),
    request_id uuid,
    since      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id, purpose)
);
SELECT jogo_enable_tenant_rls('processing_restrictions'::regclass);
