-- Issue 14 part 2: the directory is the command's own.
--
-- Every directory entry (agencies and hospitals, cameras, police posts) can be changed
-- and deactivated; nothing is deleted, so dispatches, reports and timelines that name an
-- entry keep resolving to it. Agencies get a role (the kind of agency a category needs,
-- e.g. fire, transport, hospital); categories name the role that handles them (NULL: the
-- police handle it themselves). Cameras get a code, the key of the CSV import's upsert.

ALTER TABLE agencies
    ADD COLUMN role           text CHECK (role ~ '^[a-z][a-z_]{1,39}$'),
    ADD COLUMN deactivated_at timestamptz,
    ADD COLUMN updated_at     timestamptz;

ALTER TABLE cameras
    ADD COLUMN code           text CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,39}$'),
    ADD COLUMN is_active      boolean NOT NULL DEFAULT true,
    ADD COLUMN deactivated_at timestamptz,
    ADD COLUMN updated_at     timestamptz,
    ADD CONSTRAINT cameras_code_key UNIQUE (tenant_id, code);

ALTER TABLE police_posts
    ADD COLUMN is_active      boolean NOT NULL DEFAULT true,
    ADD COLUMN deactivated_at timestamptz,
    ADD COLUMN updated_at     timestamptz;

ALTER TABLE report_categories
    ADD COLUMN agency_role text CHECK (agency_role ~ '^[a-z][a-z_]{1,39}$');

-- Data: tables are under forced row-level security, so each tenant is visited with its
-- id set, as the application does (and named in every statement, for a superuser).
DO $$
DECLARE
    t record;
    n integer;
BEGIN
    FOR t IN SELECT id, region_code FROM tenants LOOP
        PERFORM set_config('app.tenant_id', t.id::text, true);
        -- What each template category needs (tenants/onboarding/templates.py).
        UPDATE report_categories SET agency_role = CASE code
            WHEN 'TRAFFIC_ACCIDENT' THEN 'transport'
            WHEN 'FALLEN_TREE' THEN 'environment'
            WHEN 'POWER_FAULT' THEN 'electricity'
            WHEN 'FIRE' THEN 'fire'
            WHEN 'FLOOD' THEN 'disaster'
        END
        WHERE tenant_id = t.id AND agency_role IS NULL;
        -- The Kota Malang sample directory, by code (tenants/onboarding/malang.py).
        UPDATE agencies SET role = CASE code
            WHEN 'DISHUB' THEN 'transport'
            WHEN 'DPUPRPKP' THEN 'public_works'
            WHEN 'DLH' THEN 'environment'
            WHEN 'DINKES' THEN 'health'
            WHEN 'DINSOS-P3AP2KB' THEN 'social'
            WHEN 'DISKOMINFO' THEN 'cctv'
            WHEN 'DAMKAR' THEN 'fire'
            WHEN 'SATPOLPP' THEN 'public_order'
            WHEN 'BPBD' THEN 'disaster'
        END
        WHERE tenant_id = t.id AND is_sample AND role IS NULL AND kind <> 'hospital';
        UPDATE agencies SET role = 'hospital'
         WHERE tenant_id = t.id AND kind = 'hospital' AND role IS NULL;
        -- Commands outside Kota Malang that were given its sample directory: those
        -- entries are deactivated (kept, with their history), and the audit says so.
        IF t.region_code <> '35.73' THEN
            UPDATE agencies SET is_active = false, deactivated_at = now()
             WHERE tenant_id = t.id AND is_sample AND is_active;
            GET DIAGNOSTICS n = ROW_COUNT;
            IF n > 0 THEN
                INSERT INTO audit_log (actor, actor_kind, action, tenant, target, detail)
                VALUES ('migration 0019', 'system', 'directory.deactivate_sample', t.id,
                        'tenant:' || t.id, jsonb_build_object('entries', n));
            END IF;
        END IF;
    END LOOP;
    PERFORM set_config('app.tenant_id', '', true);
END $$;
