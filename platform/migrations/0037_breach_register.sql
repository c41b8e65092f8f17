-- UU PDP No. 27/2022 (issue 21, parts 4 and 5): the breach register (tenants/breaches/).
--
-- breach_incidents: one "kegagalan Pelindungan Data Pribadi" a command recorded. The law
-- (Pasal 46 ayat 1) gives it 3 x 24 hours to notify the data subjects and the authority
-- (lembaga) in writing; the clock starts when it was found (found_at). due_at is stored
-- (found_at + 72 h, set by tenants/breaches/clock.py, its only source). The two
-- notifications are recorded apart: when and by whom. data_categories and
-- subject_categories hold codes of a closed vocabulary (tenants/breaches/vocab.py); the
-- free text (title, description, measures) never leaves the command.
CREATE TABLE breach_incidents (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    title                 text NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
    description           text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    data_categories       text[] NOT NULL CHECK (cardinality(data_categories) > 0),
    subject_categories    text[] NOT NULL CHECK (cardinality(subject_categories) > 0),
    subjects_estimate     integer NOT NULL CHECK (subjects_estimate >= 0),
    occurred_at           timestamptz,
    found_at              timestamptz NOT NULL,
    due_at                timestamptz NOT NULL,
    measures              text NOT NULL DEFAULT '' CHECK (length(measures) <= 4000),
    subjects_notified_at  timestamptz,
    subjects_notified_by  text,
    authority_notified_at timestamptz,
    authority_notified_by text,
    authority_reference   text CHECK (length(authority_reference) <= 200),
    escalation_level      integer NOT NULL DEFAULT 0,
    recorded_by           text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    CHECK (due_at > found_at),
    CHECK (occurred_at IS NULL OR occurred_at <= found_at),
    CHECK ((subjects_notified_at IS NULL) = (subjects_notified_by IS NULL)),
    CHECK ((authority_notified_at IS NULL) = (authority_notified_by IS NULL))
);
CREATE INDEX breach_incidents_found_idx ON breach_incidents (tenant_id, found_at DESC, id);
-- What the sweep looks at: clocks still running.
CREATE INDEX breach_incidents_open_idx ON breach_incidents (tenant_id, found_at)
    WHERE subjects_notified_at IS NULL OR authority_notified_at IS NULL;
SELECT jogo_enable_tenant_rls('breach_incidents'::regclass);

-- Each escalation of a running clock, once per incident and level (the unique key makes
-- parallel sweeps agree: one inserts, the others find it there).
CREATE TABLE breach_escalations (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    breach_id       uuid NOT NULL,
    level           integer NOT NULL CHECK (level > 0),
    threshold_hours integer NOT NULL,
    at              timestamptz NOT NULL,
    notified        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, breach_id, level),
    FOREIGN KEY (tenant_id, breach_id) REFERENCES breach_incidents (tenant_id, id)
        ON DELETE CASCADE
);
SELECT jogo_enable_tenant_rls('breach_escalations'::regclass);

-- National oversight reads every command's clocks through this one function, like
-- oversight_reports (0007): owned by jogo_oversight (NOLOGIN, BYPASSRLS), returning no
-- free text and no person (not who recorded or notified): times, the escalation level,
-- category codes of the closed vocabulary and the estimated number of people.
CREATE FUNCTION oversight_breaches(p_tenants uuid[], p_since timestamptz, p_until timestamptz)
RETURNS TABLE (
    tenant_id uuid, id uuid, found_at timestamptz, due_at timestamptz,
    subjects_notified_at timestamptz, authority_notified_at timestamptz,
    escalation_level integer, data_categories text[], subject_categories text[],
    subjects_estimate integer
)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT b.tenant_id, b.id, b.found_at, b.due_at, b.subjects_notified_at,
           b.authority_notified_at, b.escalation_level, b.data_categories,
           b.subject_categories, b.subjects_estimate
      FROM breach_incidents b
     WHERE b.tenant_id = ANY(p_tenants)
       AND ((b.found_at >= p_since AND b.found_at < p_until)
            OR b.subjects_notified_at IS NULL OR b.authority_notified_at IS NULL)
     ORDER BY b.due_at, b.id
     LIMIT 1000
$$;
REVOKE ALL ON FUNCTION oversight_breaches(uuid[], timestamptz, timestamptz) FROM PUBLIC;
GRANT SELECT ON breach_incidents TO jogo_oversight;
ALTER FUNCTION oversight_breaches(uuid[], timestamptz, timestamptz) OWNER TO jogo_oversight;
GRANT EXECUTE ON FUNCTION oversight_breaches(uuid[], timestamptz, timestamptz) TO jogo_app;
