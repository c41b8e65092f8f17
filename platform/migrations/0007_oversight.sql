-- National oversight. Rollups are control-plane tables, kept per report from outbox
-- events and only touched by tenants/oversight. Cross-tenant reads of reports happen in
-- one SECURITY DEFINER function owned by jogo_oversight (NOLOGIN, BYPASSRLS), which
-- returns redacted rows only; the app role itself never bypasses row-level security.

-- What each report currently adds to the rollups, so an event applies a delta once.
CREATE TABLE oversight_contributions (
    tenant          uuid NOT NULL,
    report_id       uuid NOT NULL,
    day             date NOT NULL,
    category_code   text NOT NULL,
    status          text NOT NULL,
    urgent          boolean NOT NULL,
    breached        boolean NOT NULL,
    cell_lat        integer NOT NULL,
    cell_lon        integer NOT NULL,
    -- The Polda the report was counted under: a rebuild takes it away from there.
    polda           text NOT NULL,
    verify_bucket   smallint,
    dispatch_bucket smallint,
    resolve_bucket  smallint,
    PRIMARY KEY (tenant, report_id)
);

-- Each rollup row belongs to a scope: 'tenant:<uuid>' or 'polda:<code>'. Every delta is
-- applied to both, so a national or Polda summary reads a few thousand Polda rows
-- instead of one row per tenant, and a tenant's own figures stay exact.
CREATE TABLE oversight_daily (
    scope         text NOT NULL,
    day           date NOT NULL,
    category_code text NOT NULL,
    status        text NOT NULL,
    reports       integer NOT NULL,
    urgent        integer NOT NULL,
    breached      integer NOT NULL,
    PRIMARY KEY (scope, day, category_code, status)
);

-- Durations as log-scale histograms (bucket b holds about 60 s x 1.3^b), so medians and
-- p90s are read from a few hundred rows instead of every report.
CREATE TABLE oversight_durations (
    scope         text NOT NULL,
    day           date NOT NULL,
    category_code text NOT NULL,
    metric        text NOT NULL CHECK (metric IN ('verify', 'dispatch', 'resolve')),
    bucket        smallint NOT NULL,
    reports       integer NOT NULL,
    -- category before day: the "*" rows of a date range are one index range.
    PRIMARY KEY (scope, category_code, day, metric, bucket)
);

-- Counts per grid cell of 0.01 degree (about 1.1 km): never an exact point.
CREATE TABLE oversight_cells (
    scope         text NOT NULL,
    day           date NOT NULL,
    category_code text NOT NULL,
    cell_lat      integer NOT NULL,
    cell_lon      integer NOT NULL,
    reports       integer NOT NULL,
    PRIMARY KEY (scope, day, category_code, cell_lat, cell_lon)
);

-- The drill-down across tenants, redacted inside the database: no reporter, no phone,
-- no address, coordinates rounded to 0.001 degree (about 110 m); in free text, e-mail
-- addresses and every run of 8 or more digits (phone numbers in any format, NIK, account
-- numbers) are masked, and so are the report's own reporter name, phone and address.
CREATE FUNCTION oversight_redact(t text, name text, phone text, address text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(regexp_replace(
        replace(replace(replace(t,
            coalesce(nullif(name, ''), chr(1)), '[nama]'),
            coalesce(nullif(address, ''), chr(1)), '[alamat]'),
            coalesce(nullif(phone, ''), chr(1)), '[telepon]'),
        '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[email]', 'g'),
        '\+?[0-9](?:[\s./()-]*[0-9]){7,}', '[angka]', 'g')
$$;

CREATE FUNCTION oversight_reports(
    p_tenants uuid[], p_from date, p_to date, p_category text, p_status text,
    p_after_created timestamptz, p_after_id uuid, p_limit integer
) RETURNS TABLE (
    tenant_id uuid, id uuid, ticket text, category_code text, title text, description text,
    latitude double precision, longitude double precision, status text, urgent boolean,
    created_at timestamptz, verified_at timestamptz, resolved_at timestamptz, breached boolean
)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT r.tenant_id, r.id, r.ticket, c.code,
           oversight_redact(r.title, r.reporter_name, r.reporter_phone, r.address),
           oversight_redact(r.description, r.reporter_name, r.reporter_phone, r.address),
           round(r.latitude::numeric, 3)::double precision,
           round(r.longitude::numeric, 3)::double precision, r.status, r.urgent, r.created_at,
           r.verified_at, r.resolved_at,
           (r.verify_breached_at IS NOT NULL OR r.followup_breached_at IS NOT NULL)
      FROM reports r
      JOIN report_categories c ON c.tenant_id = r.tenant_id AND c.id = r.category_id
      JOIN tenants t ON t.id = r.tenant_id
     WHERE r.tenant_id = ANY(p_tenants)
       -- a wide window the index can use, then each tenant's own calendar day
       AND r.created_at >= p_from - interval '1 day' AND r.created_at < p_to + interval '2 days'
       AND (r.created_at AT TIME ZONE CASE t.time_zone WHEN 'WIT' THEN 'Asia/Jayapura'
            WHEN 'WITA' THEN 'Asia/Makassar' ELSE 'Asia/Jakarta' END)::date
           BETWEEN p_from AND p_to
       AND (p_category IS NULL OR c.code = p_category)
       AND (p_status IS NULL OR r.status = p_status)
       AND (p_after_created IS NULL OR (r.created_at, r.id) < (p_after_created, p_after_id))
     ORDER BY r.created_at DESC, r.id DESC
     LIMIT least(greatest(p_limit, 1), 101)
$$;
REVOKE ALL ON FUNCTION oversight_reports(uuid[], date, date, text, text, timestamptz, uuid,
    integer) FROM PUBLIC;
GRANT SELECT ON reports, report_categories, tenants TO jogo_oversight;
ALTER FUNCTION oversight_reports(uuid[], date, date, text, text, timestamptz, uuid, integer)
    OWNER TO jogo_oversight;
GRANT EXECUTE ON FUNCTION oversight_reports(uuid[], date, date, text, text, timestamptz, uuid,
    integer) TO jogo_app;
