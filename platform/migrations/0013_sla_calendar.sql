-- A tenant's working-day calendar for the service levels (tenants/reports/calendar.py).
-- Weekends and national public holidays are always days off. On top of that:
-- sla_calendar_settings: one row per tenant, only once a tenant admin changes a setting;
--   no row means the defaults (collective leave, cuti bersama, is a day off).
-- sla_non_working_days: the tenant's own days off (regional holidays), one row a day.
CREATE TABLE sla_calendar_settings (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    collective_leave_off boolean NOT NULL DEFAULT true,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
SELECT jogo_enable_tenant_rls('sla_calendar_settings'::regclass);

CREATE TABLE sla_non_working_days (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day        date NOT NULL CHECK (day BETWEEN DATE '2000-01-01' AND DATE '2100-12-31'),
    name       text NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, day)
);
SELECT jogo_enable_tenant_rls('sla_non_working_days'::regclass);
