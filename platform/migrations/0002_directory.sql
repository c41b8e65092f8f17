-- First tenant-scoped tables: report categories and the agency directory. Every
-- tenant table: tenant_id first in the primary key (Citus co-location), RLS enabled
-- and forced, one policy for reads and writes.

CREATE TABLE report_categories (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL DEFAULT gen_random_uuid(),
    code           text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,39}$'),
    name_id        text NOT NULL,
    name_en        text NOT NULL,
    description_id text NOT NULL DEFAULT '',
    sort_order     integer NOT NULL DEFAULT 0,
    is_active      boolean NOT NULL DEFAULT true,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

CREATE TABLE agencies (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    code       text NOT NULL CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,39}$'),
    name       text NOT NULL,
    kind       text NOT NULL
               CHECK (kind IN ('dinas', 'hospital', 'cctv_operator', 'utility', 'other')),
    phone      text,
    email      text,
    address    text,
    latitude   double precision CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude  double precision CHECK (longitude BETWEEN 94.5 AND 141.5),
    is_sample  boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code)
);

SELECT jogo_enable_tenant_rls('report_categories'::regclass);
SELECT jogo_enable_tenant_rls('agencies'::regclass);
