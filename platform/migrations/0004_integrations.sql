-- Agency integrations: connectors, routing rules, dispatches, and the transactional
-- outbox that carries work to RabbitMQ.

ALTER TABLE agencies
    ADD COLUMN contacts        jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN connector       text NOT NULL DEFAULT 'manual'
                               CHECK (connector IN ('manual', 'webhook', 'open311')),
    ADD COLUMN endpoint_url    text CHECK (endpoint_url ~ '^https?://'),
    ADD COLUMN secret_enc      text,
    ADD COLUMN service_codes   jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN timeout_seconds integer NOT NULL DEFAULT 10 CHECK (timeout_seconds BETWEEN 1 AND 60),
    ADD COLUMN is_active       boolean NOT NULL DEFAULT true,
    ADD CONSTRAINT agencies_endpoint_needed
        CHECK (connector = 'manual' OR endpoint_url IS NOT NULL);

-- Which agency a category goes to, and whether verifying a report dispatches it.
CREATE TABLE routing_rules (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    category_id   uuid NOT NULL,
    agency_id     uuid NOT NULL,
    auto_dispatch boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, category_id, agency_id),
    FOREIGN KEY (tenant_id, category_id) REFERENCES report_categories (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, agency_id) REFERENCES agencies (tenant_id, id) ON DELETE CASCADE
);

-- One delivery of one report to one agency. attempts counts tries made; each retry is
-- an outbox row carrying the attempt number, so a stale redelivery is recognised.
CREATE TABLE dispatches (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    report_id       uuid NOT NULL,
    agency_id       uuid NOT NULL,
    status          text NOT NULL DEFAULT 'PENDING' CHECK (status IN (
                        'PENDING', 'DELIVERED', 'AWAITING_LIAISON', 'ACCEPTED',
                        'IN_PROGRESS', 'RESOLVED', 'DEAD')),
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL DEFAULT 8 CHECK (max_attempts BETWEEN 1 AND 30),
    last_error      text,
    next_attempt_at timestamptz,
    idempotency_key uuid NOT NULL DEFAULT gen_random_uuid(),
    external_ref    text,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, idempotency_key),
    FOREIGN KEY (tenant_id, report_id) REFERENCES reports (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, agency_id) REFERENCES agencies (tenant_id, id)
);
CREATE INDEX dispatches_report_idx ON dispatches (tenant_id, report_id, created_at);

-- Inbound callbacks already applied, so a replay changes nothing.
CREATE TABLE callback_receipts (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    agency_id   uuid NOT NULL,
    body_sha256 text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, agency_id, body_sha256)
);

SELECT jogo_enable_tenant_rls('routing_rules'::regclass);
SELECT jogo_enable_tenant_rls('dispatches'::regclass);
SELECT jogo_enable_tenant_rls('callback_receipts'::regclass);

-- The outbox (control plane): messages, not tenant data. Payloads hold ids only; the
-- actor reads the rows through the tenant's transaction. A business write and its
-- outbox row commit together; the relay publishes due rows and marks them.
CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant       uuid NOT NULL,
    actor        text NOT NULL,
    payload      jsonb NOT NULL,
    traceparent  text,
    available_at timestamptz NOT NULL DEFAULT now(),
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (available_at, id) WHERE published_at IS NULL;
