-- The panic button, and police posts (Polsek, Pos Polisi) for the facilities directory.

ALTER TABLE reports ADD COLUMN sos boolean NOT NULL DEFAULT false;
CREATE INDEX reports_sos_idx ON reports (tenant_id, reporter_user_id, created_at) WHERE sos;

CREATE TABLE police_posts (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(name) BETWEEN 3 AND 200),
    kind       text NOT NULL CHECK (kind IN ('POLSEK', 'POS_POLISI')),
    latitude   double precision NOT NULL CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude  double precision NOT NULL CHECK (longitude BETWEEN 94.5 AND 141.5),
    phone      text,
    address    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX police_posts_geo_idx ON police_posts (tenant_id, latitude, longitude);
SELECT jogo_enable_tenant_rls('police_posts'::regclass);
