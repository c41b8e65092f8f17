"""infra/ (issue 8): the Citus layout from the live catalog, RabbitMQ definitions in the
local broker, Compose and Kubernetes files validated offline, the collector's pipelines."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import kubernetes_validate
import pika
import pytest
import yaml
from helpers import AMQP_URL, free_port, one_line_error, run_jogo

from jogo.platform.citus import citus_sql, layout
from jogo.workers.broker import JogoRabbitmqBroker

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
K8S_VERSION = "1.35.0"


async def test_citus_sql_covers_every_table(owner):
    found = await layout(owner)
    assert found.problems == []
    sql = citus_sql(found)
    tables = {
        r["relname"]
        for r in await owner.fetch(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relpersistence = 'p'"
        )
    }
    # Unlogged tables (the query-cost budgets) stay local tables of the coordinator.
    assert "query_budgets" not in tables and "query_budgets" not in sql
    distributed = {
        r["table_name"]
        for r in await owner.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
    }
    for table in tables:
        if table in distributed:
            assert f"create_distributed_table('{table}', 'tenant_id'," in sql, table
        else:
            assert f"create_reference_table('{table}')" in sql, table
    assert {"reports", "polling_stations", "bulletins", "shared_posts"} <= distributed
    assert {"tenants", "users", "outbox"} <= tables - distributed
    # One co-location group: the first distributed table anchors every other one.
    anchor = found.distributed[0]
    assert sql.count("colocate_with => 'none'") == 1
    assert sql.count(f"colocate_with => '{anchor}'") == len(found.distributed) - 1
    # Referenced tables come first (Citus distributes a table after what it references).
    order = found.distributed
    assert order.index("reports") < order.index("report_events")
    assert order.index("polling_stations") < order.index("reports")
    assert found.reference.index("users") < found.reference.index("memberships")


async def test_citus_check_catches_what_citus_rejects(owner):
    tx = owner.transaction()
    await tx.start()
    try:
        await owner.execute(
            "CREATE TABLE bad_items (tenant_id uuid NOT NULL, id uuid PRIMARY KEY,"
            " code text, report_tenant uuid, report_id uuid)"
        )
        await owner.execute("CREATE UNIQUE INDEX bad_items_code ON bad_items (code)")
        await owner.execute(
            "ALTER TABLE bad_items ADD CONSTRAINT bad_items_report FOREIGN KEY"
            " (report_tenant, report_id) REFERENCES reports (tenant_id, id)"
        )
        await owner.execute(
            "CREATE TABLE bad_control (id uuid PRIMARY KEY, item_tenant uuid, item uuid)"
        )
        await owner.execute(
            "ALTER TABLE bad_control ADD CONSTRAINT bad_control_report FOREIGN KEY"
            " (item_tenant, item) REFERENCES reports (tenant_id, id)"
        )
        problems = (await layout(owner)).problems
    finally:
        await tx.rollback()
    assert any("bad_items: bad_items_pkey (id) lacks tenant_id" in p for p in problems)
    assert any("unique index bad_items_code lacks tenant_id" in p for p in problems)
    assert any("foreign key bad_items_report to reports lacks tenant_id" in p for p in problems)
    assert any("bad_control: reference table with a foreign key" in p for p in problems)


def test_citus_sql_command(database):
    result = run_jogo(["db", "citus-sql"], database)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("-- Citus layout") and "COMMIT;" in result.stdout
    bad = run_jogo(["db", "citus-sql"], "postgresql://postgres@127.0.0.1:1/nowhere")
    assert bad.returncode == 1 and one_line_error(bad)


def _rabbitmqctl(*args: str) -> str:
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_rabbitmq_definitions_match_what_dramatiq_declares():
    definitions = json.loads((INFRA / "rabbitmq" / "definitions.json").read_text())
    broker = JogoRabbitmqBroker(url="amqp://unused", queue_type="quorum")
    queues = {q["name"]: q["arguments"] for q in definitions["queues"]}
    assert queues["jogo"] == broker._build_queue_arguments("jogo")
    assert queues["jogo.DQ"] == broker._build_queue_arguments("jogo.DQ")
    assert all(a["x-queue-type"] == "quorum" for a in queues.values())
    assert queues["jogo.XQ"]["x-message-ttl"] == 7 * 86_400_000
    limits = [p for p in definitions["policies"] if "delivery-limit" in p["definition"]]
    assert limits and limits[0]["apply-to"] == "queues"


@pytest.fixture
def vhost():
    """The definitions loaded into the local broker under a vhost of this test's own."""
    name = f"jogo-test-{uuid.uuid4().hex[:8]}"
    text = (INFRA / "rabbitmq" / "definitions.json").read_text()
    data = json.loads(text)
    for section in ("queues", "policies"):
        for item in data[section]:
            item["vhost"] = name
    data["vhosts"] = [{"name": name}]
    # rabbitmqctl runs as the broker's user: the file must be readable by it.
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir="/tmp") as fh:
        json.dump(data, fh)
        fh.flush()
        os.chmod(fh.name, 0o644)
        _rabbitmqctl("import_definitions", fh.name)
    _rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield name
    finally:
        _rabbitmqctl("delete_vhost", name)


def test_definitions_load_into_rabbitmq_and_dramatiq_accepts_them(vhost):
    # The broker applies an import asynchronously: wait for the queues and the policy.
    queues: dict[str, dict] = {}
    for _ in range(100):
        listing = _rabbitmqctl(
            "list_queues", "-p", vhost, "name", "type", "policy", "--formatter", "json"
        )
        queues = {q["name"]: q for q in json.loads(listing)}
        if len(queues) == 3 and queues.get("jogo", {}).get("policy"):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the definitions did not load in 10 s: {queues}")
    assert set(queues) == {"jogo", "jogo.DQ", "jogo.XQ"}
    assert {q["type"] for q in queues.values()} == {"quorum"}
    assert queues["jogo"]["policy"] == "jogo-delivery-limit"
    # Dramatiq re-declares the queues on start: the arguments must be equivalent, or
    # RabbitMQ closes the channel with PRECONDITION_FAILED.
    url = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    broker = JogoRabbitmqBroker(url=url, queue_type="quorum", confirm_delivery=True)
    try:
        broker.declare_queue("jogo", ensure=True)
        connection = pika.BlockingConnection(pika.URLParameters(url))
        channel = connection.channel()
        channel.confirm_delivery()  # a quorum queue has the message once this returns
        channel.basic_publish("", "jogo", b"ping")
        body = None
        for _ in range(50):
            method, _, body = channel.basic_get("jogo", auto_ack=True)
            if method is not None:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the published message never came back in 5 s")
        assert body == b"ping"
        connection.close()
    finally:
        broker.close()
    classic = JogoRabbitmqBroker(url=url, queue_type="classic")
    try:
        with pytest.raises(Exception, match=r"PRECONDITION_FAILED|inequivalent"):
            classic.declare_queue("jogo", ensure=True)
    finally:
        classic.close()


def test_compose_file_follows_the_compose_specification():
    checker = Path(sys.executable).with_name("check-jsonschema")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(INFRA / "compose.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    services = compose["services"]
    wanted = {
        "postgres",
        "rabbitmq",
        "otel-collector",
        "jaeger",
        "api",
        "relay",
        "worker",
        "scheduler",
    }
    assert wanted <= set(services)
    for name in wanted - {"otel-collector"}:
        assert "healthcheck" in services[name], name
    for name in ("api", "relay", "worker", "scheduler"):
        env = services[name]["environment"]
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector:")


def _manifests() -> list[tuple[str, dict]]:
    found = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                found.append((path.name, doc))
    return found


def test_kubernetes_manifests_validate_offline():
    docs = _manifests()
    for _, doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises when invalid
    kinds: dict[str, list[dict]] = {}
    for _, doc in docs:
        kinds.setdefault(doc["kind"], []).append(doc)
    deployments = {d["metadata"]["name"]: d for d in kinds["Deployment"]}
    assert set(deployments) == {"jogo-api", "jogo-relay", "jogo-worker", "jogo-scheduler"}
    for name, d in deployments.items():
        (container,) = d["spec"]["template"]["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["resources"]["requests"] and container["resources"]["limits"], name
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in kinds["HorizontalPodAutoscaler"]}
    assert scaled == {"jogo-api", "jogo-worker"}
    assert {"PodDisruptionBudget", "ConfigMap", "Secret", "NetworkPolicy", "Job"} <= set(kinds)
    config = kinds["ConfigMap"][0]["data"]
    assert config["JOGO_HEALTH_PORT"] == "8081" and config["JOGO_QUEUE_TYPE"] == "quorum"


def test_collector_pipelines_use_only_what_it_defines():
    config = yaml.safe_load((INFRA / "otel" / "collector.yaml").read_text())
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline[kind]:
                assert component in config[kind], (name, component)
    assert "otlp/jaeger" in config["service"]["pipelines"]["traces"]["exporters"]


async def test_worker_process_serves_probes(database, settings, broker):
    """The worker, relay and scheduler answer /healthz and /readyz on JOGO_HEALTH_PORT.

    The relay publishes whatever outbox rows are due in the shared database: it uses
    this run's queue (declared by ``broker``, deleted at the end of the run), so it
    neither takes other tests' messages away nor leaves a queue of its own behind."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    env |= {
        "JOGO_DATABASE_URL": database,
        "JOGO_AMQP_URL": AMQP_URL,
        "JOGO_QUEUE": os.environ["JOGO_QUEUE"],
        "JOGO_HEALTH_PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jogo.platform.app.cli",
        "relay",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    ready = await client.get("/readyz")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the relay's probes did not answer within 10 s")
            assert ready.status_code == 200 and ready.json()["database"] == "ok"
            assert (await client.get("/healthz")).json() == {"status": "ok"}
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
