-- Consent and privacy notice per command (issue 21, part 1; UU PDP No. 27/2022 art. 20-24).
-- Domain: tenants/consent/. Every table here is a tenant table: FORCE RLS on app.tenant_id.

-- The versions of a command's privacy notice (Bahasa Indonesia, English). The newest
-- published row is in force; with none, the product's default notice in code
-- (platform/auth/privacy.py, NOTICE_VERSION) is. Published versions are immutable: a
-- trigger refuses every UPDATE and DELETE except the cascade of a command's removal
-- (the app role may not TRUNCATE them either). The default
-- version's label is refused for a published one (tenants/consent/notices.py), so a
-- label names one text at a command.
CREATE TABLE privacy_notices (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    version      text NOT NULL CHECK (version ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$'),
    text_id      text NOT NULL CHECK (length(text_id) BETWEEN 50 AND 20000),
    text_en      text NOT NULL CHECK (length(text_en) BETWEEN 50 AND 20000),
    published_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_by text NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
CREATE INDEX privacy_notices_current_idx ON privacy_notices (tenant_id, published_at DESC);
SELECT jogo_enable_tenant_rls('privacy_notices'::regclass);
REVOKE TRUNCATE ON privacy_notices FROM jogo_app;

CREATE FUNCTION jogo_privacy_notice_immutable() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    -- Depth 1: a statement on the table itself; deeper: ON DELETE CASCADE from tenants.
    IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'a published privacy notice is immutable; publish a new version'
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER privacy_notices_immutable BEFORE UPDATE OR DELETE ON privacy_notices
    FOR EACH ROW EXECUTE FUNCTION jogo_privacy_notice_immutable();

-- A person's consent, per command and purpose, for the purposes whose lawful basis is
-- consent (notifications, sharing): the notice version it was given under, and whether
-- it is withdrawn now. Sign-up consent stays in privacy_consents (control plane, read
-- at sign-in before any tenant transaction); a report's basis is not consent.
CREATE TABLE consents (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose        text NOT NULL CHECK (purpose IN ('notifications', 'sharing')),
    notice_version text NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 32),
    given_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_at   timestamptz,
    PRIMARY KEY (tenant_id, user_id, purpose)
);
SELECT jogo_enable_tenant_rls('consents'::regclass);

-- What each collection point recorded (written append-only; an erasure may remove a
-- person's rows, so no grant is taken away): which notice version the person
-- saw ('unknown' when a client sent none), for which purpose, under which lawful basis,
-- and whether consent was given or withdrawn. user_id is NULL for an anonymous
-- reporter (the report row then carries the version alone, reports.notice_version).
CREATE TABLE consent_log (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    user_id        uuid REFERENCES users (id) ON DELETE CASCADE,
    report_id      uuid,
    purpose        text NOT NULL
                   CHECK (purpose IN ('report', 'sign_up', 'notifications', 'sharing')),
    action         text NOT NULL CHECK (action IN ('seen', 'given', 'withdrawn')),
    lawful_basis   text NOT NULL CHECK (lawful_basis IN ('consent', 'legal_obligation',
                   'public_task', 'vital_interest')),
    notice_version text NOT NULL CHECK (length(notice_version) BETWEEN 1 AND 32),
    client         text CHECK (length(client) <= 64),
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX consent_log_user_idx ON consent_log (tenant_id, user_id, at) WHERE user_id IS NOT NULL;
SELECT jogo_enable_tenant_rls('consent_log'::regclass);

-- The notice version the reporter's client showed before the report was made;
-- 'unknown' when it sent none (reports made before this migration, Open311, WhatsApp
-- and SMS intake, API clients that send none). A report is never refused for it.
ALTER TABLE reports ADD COLUMN notice_version text NOT NULL DEFAULT 'unknown'
    CHECK (length(notice_version) BETWEEN 1 AND 32);

-- Whom a notification is about: the report's signed-in reporter, so that a withdrawn
-- consent to notifications cancels what is still queued for them (CANCELLED, at send).
ALTER TABLE notifications ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED', 'DEAD', 'CANCELLED'));
CREATE INDEX notifications_user_idx ON notifications (tenant_id, user_id) WHERE user_id IS NOT NULL;

-- privacy_consents (0026) keyed the acceptance by user and version alone; versions are
-- now per command, so one label may name different texts at two commands: the key
-- takes the command.
ALTER TABLE privacy_consents DROP CONSTRAINT privacy_consents_pkey;
CREATE UNIQUE INDEX privacy_consents_key ON privacy_consents (user_id, tenant, notice_version);
