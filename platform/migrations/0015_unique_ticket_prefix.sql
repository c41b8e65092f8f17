-- Reference data that contradicted itself (issue 13, part 7).
--
-- 1. Each province has exactly one Polda (platform/regions.py): province 65 is Polda
--    Kalimantan Utara's, 96 Polda Papua Barat Daya's, and Kabupaten Tangerang (36.03) is
--    Polda Banten's. Tenants onboarded under the wrong one move to the right one, so that
--    Polda's supervisors see them.
UPDATE tenants SET polda_code = 'KALTARA'
 WHERE region_code LIKE '65.%' AND polda_code <> 'KALTARA';
UPDATE tenants SET polda_code = 'PAPUA_BARAT_DAYA'
 WHERE region_code LIKE '96.%' AND polda_code <> 'PAPUA_BARAT_DAYA';
UPDATE tenants SET polda_code = 'BANTEN'
 WHERE region_code = '36.03' AND polda_code = 'METRO_JAYA';

-- 2. Ticket prefixes are unique across the platform (tickets are quoted without a
--    tenant: SRG-2026-000001 must name one report). Where two tenants share one, the
--    first onboarded keeps it and each later one gets the prefix plus the first free
--    letter or two (SRG → SRGA). Tickets issued already keep the text they were given.
DO $$
DECLARE
    dup record;
    candidate text;
    letters constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    i int;
    j int;
BEGIN
    FOR dup IN
        SELECT id, ticket_prefix FROM (
            SELECT id, ticket_prefix,
                   row_number() OVER (PARTITION BY ticket_prefix ORDER BY created_at, id) AS n
              FROM tenants
        ) ranked
         WHERE n > 1
         ORDER BY ticket_prefix, n
    LOOP
        candidate := NULL;
        <<search>>
        FOR i IN 0..26 LOOP
            FOR j IN 1..26 LOOP
                candidate := left(dup.ticket_prefix, CASE WHEN i = 0 THEN 5 ELSE 4 END)
                    || CASE WHEN i = 0 THEN '' ELSE substr(letters, i, 1) END
                    || substr(letters, j, 1);
                EXIT search WHEN NOT EXISTS (
                    SELECT 1 FROM tenants WHERE ticket_prefix = candidate);
                candidate := NULL;
            END LOOP;
        END LOOP;
        IF candidate IS NULL THEN
            RAISE EXCEPTION 'no free ticket prefix for tenant % (%)', dup.id, dup.ticket_prefix;
        END IF;
        UPDATE tenants SET ticket_prefix = candidate WHERE id = dup.id;
    END LOOP;
END
$$;

ALTER TABLE tenants ADD CONSTRAINT tenants_ticket_prefix_key UNIQUE (ticket_prefix);
