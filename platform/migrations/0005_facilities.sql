-- Hospitals' emergency capacity, pulled from their endpoints; the city's cameras.

ALTER TABLE agencies
    ADD COLUMN capacity_url    text CHECK (capacity_url ~ '^https?://'),
    ADD COLUMN capacity_format text CHECK (capacity_format IN ('fhir', 'json')),
    ADD CONSTRAINT agencies_capacity_pair
        CHECK ((capacity_url IS NULL) = (capacity_format IS NULL));

CREATE TABLE hospital_capacity (
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agency_id         uuid NOT NULL,
    er_beds_available integer CHECK (er_beds_available >= 0),
    er_beds_total     integer CHECK (er_beds_total >= 0),
    observed_at       timestamptz,
    checked_at        timestamptz NOT NULL,
    stale             boolean NOT NULL DEFAULT true,
    last_error        text,
    PRIMARY KEY (tenant_id, agency_id),
    FOREIGN KEY (tenant_id, agency_id) REFERENCES agencies (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE cameras (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    name               text NOT NULL CHECK (length(name) BETWEEN 3 AND 200),
    latitude           double precision NOT NULL CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude          double precision NOT NULL CHECK (longitude BETWEEN 94.5 AND 141.5),
    stream_url         text NOT NULL CHECK (stream_url ~ '^(rtsps?|https?)://'),
    snapshot_url       text CHECK (snapshot_url ~ '^https?://'),
    operator_agency_id uuid,
    status             text NOT NULL DEFAULT 'UNKNOWN'
                       CHECK (status IN ('UNKNOWN', 'ONLINE', 'OFFLINE')),
    last_seen_at       timestamptz,
    checked_at         timestamptz,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, operator_agency_id) REFERENCES agencies (tenant_id, id)
);
CREATE INDEX cameras_geo_idx ON cameras (tenant_id, latitude, longitude);

SELECT jogo_enable_tenant_rls('hospital_capacity'::regclass);
SELECT jogo_enable_tenant_rls('cameras'::regclass);
