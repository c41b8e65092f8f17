-- The election module (Pemilu): polling stations (TPS), deployment rules and named
-- officers per TPS, incidents linked to a TPS, and national rollups by vulnerability.

CREATE TABLE polling_stations (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    -- KPU style: the village's 10 digits and the TPS number's 3, e.g. 3573011001001.
    code          text NOT NULL CHECK (code ~ '^[0-9]{13}$'),
    village_code  text NOT NULL CHECK (village_code ~ '^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$'),
    district_code text GENERATED ALWAYS AS (left(village_code, 8)) STORED,
    address       text NOT NULL CHECK (length(address) BETWEEN 3 AND 300),
    latitude      double precision CHECK (latitude BETWEEN -11.5 AND 6.5),
    longitude     double precision CHECK (longitude BETWEEN 94.5 AND 141.5),
    voters        integer NOT NULL CHECK (voters BETWEEN 1 AND 1000),
    vulnerability text NOT NULL CHECK (vulnerability IN
                      ('AMAN', 'KURANG_RAWAN', 'RAWAN', 'SANGAT_RAWAN', 'KHUSUS')),
    notes         text CHECK (length(notes) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, code),
    CHECK ((latitude IS NULL) = (longitude IS NULL)),
    CHECK (replace(village_code, '.', '') = left(code, 10))
);
CREATE INDEX polling_stations_district_idx ON polling_stations (tenant_id, district_code);
SELECT jogo_enable_tenant_rls('polling_stations'::regclass);

-- How many officers a group of TPS gets, per vulnerability; absent rows use the defaults.
CREATE TABLE election_deployment_rules (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    vulnerability      text NOT NULL CHECK (vulnerability IN
                           ('AMAN', 'KURANG_RAWAN', 'RAWAN', 'SANGAT_RAWAN', 'KHUSUS')),
    max_tps_per_group  smallint NOT NULL CHECK (max_tps_per_group BETWEEN 1 AND 20),
    officers_per_group smallint NOT NULL CHECK (officers_per_group BETWEEN 1 AND 20),
    linmas_per_tps     smallint NOT NULL CHECK (linmas_per_tps BETWEEN 0 AND 10),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, vulnerability)
);
SELECT jogo_enable_tenant_rls('election_deployment_rules'::regclass);

CREATE TABLE polling_station_officers (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    station_id  uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (id),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, station_id, user_id),
    FOREIGN KEY (tenant_id, station_id) REFERENCES polling_stations (tenant_id, id)
        ON DELETE CASCADE
);
SELECT jogo_enable_tenant_rls('polling_station_officers'::regclass);

ALTER TABLE reports ADD COLUMN polling_station_id uuid;
ALTER TABLE reports ADD FOREIGN KEY (tenant_id, polling_station_id)
    REFERENCES polling_stations (tenant_id, id);
CREATE INDEX reports_polling_station_idx ON reports (tenant_id, polling_station_id)
    WHERE polling_station_id IS NOT NULL;

-- National: a report's TPS vulnerability is part of its contribution, and incidents are
-- counted per vulnerability; TPS counts per tenant are kept on every import.
ALTER TABLE oversight_contributions ADD COLUMN tps_vulnerability text;

CREATE TABLE oversight_election (
    scope         text NOT NULL,
    day           date NOT NULL,
    vulnerability text NOT NULL,
    category_code text NOT NULL,
    status        text NOT NULL,
    reports       integer NOT NULL,
    urgent        integer NOT NULL,
    PRIMARY KEY (scope, day, vulnerability, category_code, status)
);

CREATE TABLE election_station_counts (
    tenant        uuid NOT NULL,
    polda         text NOT NULL,
    vulnerability text NOT NULL,
    stations      integer NOT NULL,
    voters        bigint NOT NULL,
    PRIMARY KEY (tenant, vulnerability)
);
CREATE INDEX election_station_counts_polda_idx ON election_station_counts (polda);
