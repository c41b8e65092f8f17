-- Units as records (issue 14): a command's field units (a SAMAPTA patrol, a RESKRIM team,
-- a LANTAS crew...) with their members and their status on this shift. Reports point at
-- a unit by id instead of naming one in free text.
-- Police-handled cases: police_started_at marks a VERIFIED report an assigned officer or
-- unit took on itself (VERIFIED → IN_PROGRESS, no agency); its follow-up clock runs from
-- that moment, as an agency's runs from the dispatch.

CREATE TABLE units (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    kind       text NOT NULL CHECK (kind IN (
                   'SAMAPTA', 'RESKRIM', 'LANTAS', 'RESNARKOBA', 'INTELKAM', 'BINMAS',
                   'SPKT', 'OTHER')),
    status     text NOT NULL DEFAULT 'AVAILABLE' CHECK (status IN (
                   'AVAILABLE', 'BUSY', 'OFF_DUTY')),
    is_active  boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
-- One active unit per name (case-insensitive) in a command; deactivated ones keep theirs.
CREATE UNIQUE INDEX units_name_once ON units (tenant_id, lower(name)) WHERE is_active;

CREATE TABLE unit_members (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    unit_id   uuid NOT NULL,
    user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, unit_id, user_id),
    FOREIGN KEY (tenant_id, unit_id) REFERENCES units (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX unit_members_user_idx ON unit_members (tenant_id, user_id);

ALTER TABLE reports
    ADD COLUMN assigned_unit_id uuid,
    ADD COLUMN police_started_at timestamptz,
    ADD FOREIGN KEY (tenant_id, assigned_unit_id) REFERENCES units (tenant_id, id);
CREATE INDEX reports_unit_idx ON reports (tenant_id, assigned_unit_id)
    WHERE assigned_unit_id IS NOT NULL;

-- Free-text units become records: one unit per distinct name (case and spacing aside)
-- per tenant, its kind guessed from the usual words, and every report pointing at it.
-- The owner is under forced row-level security like the app, so the move runs tenant by
-- tenant with the tenant set for the transaction (as migration 0019 does); nothing
-- lifts FORCE, and each statement also names its tenant.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT id FROM tenants LOOP
        PERFORM set_config('app.tenant_id', t.id::text, true);
        INSERT INTO units (tenant_id, name, kind)
        SELECT tenant_id, min(name),
               CASE
                   WHEN lower(min(name)) ~ '(lantas|turjawali|lalu ?lintas|gatur)' THEN 'LANTAS'
                   WHEN lower(min(name)) ~ '(reskrim|buser|opsnal|jatanras)' THEN 'RESKRIM'
                   WHEN lower(min(name)) ~ '(narkoba)' THEN 'RESNARKOBA'
                   WHEN lower(min(name)) ~ '(samapta|sabhara|patroli|dalmas|raimas)' THEN 'SAMAPTA'
                   WHEN lower(min(name)) ~ '(intel)' THEN 'INTELKAM'
                   WHEN lower(min(name)) ~ '(binmas|bhabinkamtibmas)' THEN 'BINMAS'
                   WHEN lower(min(name)) ~ '(spkt)' THEN 'SPKT'
                   ELSE 'OTHER'
               END
          FROM (SELECT tenant_id, regexp_replace(btrim(assigned_unit), '\s+', ' ', 'g') AS name
                  FROM reports
                 WHERE tenant_id = t.id AND assigned_unit IS NOT NULL
                   AND btrim(assigned_unit) <> '') s
         GROUP BY tenant_id, lower(name);

        UPDATE reports r SET assigned_unit_id = u.id
          FROM units u
         WHERE r.tenant_id = t.id AND u.tenant_id = r.tenant_id
           AND r.assigned_unit IS NOT NULL
           AND lower(u.name) = lower(regexp_replace(btrim(r.assigned_unit), '\s+', ' ', 'g'));
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
END $$;

ALTER TABLE reports DROP COLUMN assigned_unit;

SELECT jogo_enable_tenant_rls('units'::regclass);
SELECT jogo_enable_tenant_rls('unit_members'::regclass);
