-- Deliveries take a short lease instead of holding a row lock across the agency's HTTP
-- call; one live dispatch per report and agency; liaisons bound to their agency.

ALTER TABLE dispatches DROP CONSTRAINT dispatches_status_check;
ALTER TABLE dispatches
    ADD CONSTRAINT dispatches_status_check CHECK (status IN (
        'PENDING', 'DELIVERING', 'DELIVERED', 'AWAITING_LIAISON', 'ACCEPTED',
        'IN_PROGRESS', 'RESOLVED', 'DEAD')),
    ADD COLUMN lease_until timestamptz;

CREATE UNIQUE INDEX dispatches_live_once ON dispatches (tenant_id, report_id, agency_id)
    WHERE status <> 'DEAD';

CREATE TABLE agency_liaisons (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agency_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, agency_id, user_id),
    FOREIGN KEY (tenant_id, agency_id) REFERENCES agencies (tenant_id, id) ON DELETE CASCADE
);
SELECT jogo_enable_tenant_rls('agency_liaisons'::regclass);
