"""The Open311 GeoReport v2 server (``/t/{slug}/open311/v2/``,
``platform/app/open311_http.py``), from outside: the project's own Open311 connector
pointed at a live server, requests built by hand from the spec's examples (form POST,
XML read with lxml), the filters, the error format, and two commands."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from helpers import (
    ASSIGN,
    MALANG,
    NOTE,
    REJECT,
    STATUS,
    VERIFY,
    act,
    auth_header,
    make_user,
)
from lxml import etree

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role
from jogo.tenants.agencies.delivery import DeliveryJob
from jogo.tenants.agencies.outcomes import from_open311
from jogo.workers.connectors.open311 import deliver, fetch_request

FORM = {
    "service_code": "FALLEN_TREE",
    "lat": str(MALANG[0]),
    "long": str(MALANG[1]),
    "address_string": "Jl. Ijen 12, Klojen",
    "description": "Pohon besar tumbang menutup jalan.\nHubungi Budi Santoso di 0812 3456 7890.",
    "first_name": "Budi",
    "last_name": "Santoso",
    "phone": "0812 3456 7890",
    "email": "budi@example.com",
}


def base(slug: str) -> str:
    return f"/t/{slug}/open311/v2"


async def write_key(tenant, scopes=("reports:write",)) -> str:
    return (await create_api_key(tenant, "Sistem kota", list(scopes), "pytest")).key


async def post_form(client, slug, form, fmt="json", **headers) -> httpx.Response:
    return await client.post(f"{base(slug)}/requests.{fmt}", data=form, headers=headers)


def errors_of(response: httpx.Response) -> list[dict]:
    """GeoReport errors, from JSON or XML alike."""
    if response.headers["content-type"].startswith("application/xml"):
        root = etree.fromstring(response.content)
        assert root.tag == "errors"
        return [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
    return response.json()


async def test_the_connector_round_trips_through_our_own_server(
    live_server, two_tenants, app_client, settings
):
    tenant = two_tenants.a
    key = await write_key(tenant)
    endpoint = f"http://{live_server}{base(tenant.slug)}"
    job = DeliveryJob(
        dispatch={},
        agency={
            "endpoint_url": endpoint,
            "service_codes": json.dumps({"POHON": "FALLEN_TREE"}),
            "jurisdiction_id": tenant.slug,
            "timeout_seconds": 10,
        },
        report={},
    )
    idem = str(uuid.uuid4())
    payload = {
        "report": {
            "category_code": "POHON",
            "latitude": MALANG[0],
            "longitude": MALANG[1],
            "ticket": "LAIN-2026-000001",
            "title": "Pohon tumbang di Jalan Ijen",
            "description": "Pohon besar tumbang menutup dua lajur jalan.",
            "address": "Jl. Ijen, Klojen",
        },
        "dispatch_id": str(uuid.uuid4()),
        "idempotency_key": idem,
    }
    async with httpx.AsyncClient() as client:
        ticket = await deliver(client, job, payload, key)
        assert ticket and ticket.startswith(tenant.ticket_prefix)
        # The connector retries under the same Idempotency-Key: the same request answers.
        assert await deliver(client, job, payload, key) == ticket
        # Not verified yet: the public (the connector reads without a key) sees nothing.
        with pytest.raises(Exception, match="404"):
            await fetch_request(client, endpoint, ticket, tenant.slug)

        operator = await auth_header(settings, Role.OPERATOR, tenant)
        slug = tenant.slug
        rid = await report_id(app_client, slug, key, ticket)
        await act(app_client, slug, VERIFY, operator, id=rid)
        seen = await fetch_request(client, endpoint, ticket, tenant.slug)
        assert seen["status"] == "open" and seen["service_code"] == "FALLEN_TREE"
        assert seen["status_notes"] == "Laporan diverifikasi petugas / Report verified"
        assert from_open311(seen).step == "ACCEPTED"

        officer_id, _ = await make_user(Role.OFFICER, tenant)
        await act(app_client, slug, ASSIGN, operator, id=rid, o=str(officer_id), u=None)
        await act(app_client, slug, STATUS, operator, id=rid, s="IN_PROGRESS", n=None)
        await act(app_client, slug, STATUS, operator, id=rid, s="RESOLVED", n="Pohon dipotong")
        await act(app_client, slug, NOTE, operator, id=rid, n="Catatan internal petugas", p=False)
        closed = await fetch_request(client, endpoint, ticket, tenant.slug)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "Laporan selesai ditangani / Resolved: Pohon dipotong"
    assert "internal" not in json.dumps(closed)
    assert from_open311(closed).outcome is not None


async def report_id(client, slug, key, ticket) -> str:
    query = "query($t: String!) { reports(first: 1, filter: {text: $t}) { edges { node { id } } } }"
    response = await client.post(
        f"/t/{slug}/graphql",
        json={"query": query, "variables": {"t": ticket}},
        headers={"X-API-Key": key},
    )
    return response.json()["data"]["reports"]["edges"][0]["node"]["id"]


async def test_a_hand_built_form_post_and_xml_reads(app_client, two_tenants, settings):
    tenant = two_tenants.a
    key = await write_key(tenant)
    # The spec's example POST, form-encoded, answered in XML.
    created = await post_form(
        app_client, tenant.slug, {**FORM, "api_key": key, "jurisdiction_id": tenant.slug}, "xml"
    )
    assert created.status_code == 200, created.text
    root = etree.fromstring(created.content)
    assert root.tag == "service_requests"
    ticket = root.findtext("request/service_request_id")
    token = root.findtext("request/token")
    assert ticket.startswith(tenant.ticket_prefix) and uuid.UUID(token)
    assert root.findtext("request/service_notice").startswith("Laporan diterima")

    tokens = await app_client.get(f"{base(tenant.slug)}/tokens/{token}.xml")
    assert etree.fromstring(tokens.content).findtext("request/service_request_id") == ticket

    # The key holder reads everything; no reporter identity, the text masked.
    keyed = await app_client.get(f"{base(tenant.slug)}/requests/{ticket}.xml?api_key={key}")
    assert keyed.status_code == 200
    request = etree.fromstring(keyed.content).find("request")
    assert request.findtext("status") == "open"
    assert request.findtext("service_code") == "FALLEN_TREE"
    assert request.findtext("address") == "Jl. Ijen 12, Klojen"
    assert float(request.findtext("lat")) == MALANG[0]
    assert request.findtext("status_notes") == "Laporan diterima / Report received"
    body = keyed.text
    for secret in ("Budi", "Santoso", "0812", "budi@example.com", "+62"):
        assert secret not in body
    assert request.findtext("description") == (
        "Pohon besar tumbang menutup jalan.\nHubungi [nama] di [telepon]."
    )

    # The public does not see it until an officer verified it; then rounded, no address.
    public = await app_client.get(f"{base(tenant.slug)}/requests/{ticket}.xml")
    assert public.status_code == 404
    assert errors_of(public)[0]["code"] == 404
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    await act(
        app_client,
        tenant.slug,
        VERIFY,
        operator,
        id=await report_id(app_client, tenant.slug, key, ticket),
    )
    public = await app_client.get(f"{base(tenant.slug)}/requests/{ticket}.xml")
    request = etree.fromstring(public.content).find("request")
    assert request.findtext("address") == ""  # an empty element
    assert float(request.findtext("lat")) == round(MALANG[0], 3)

    # The services, as JSON and XML.
    services = (await app_client.get(f"{base(tenant.slug)}/services.json")).json()
    codes = {s["service_code"] for s in services}
    assert "FALLEN_TREE" in codes and all(s["metadata"] is False for s in services)
    xml = etree.fromstring((await app_client.get(f"{base(tenant.slug)}/services.xml")).content)
    assert {e.text for e in xml.iterfind("service/service_code")} == codes
    definition = await app_client.get(f"{base(tenant.slug)}/services/FALLEN_TREE.xml")
    assert etree.fromstring(definition.content).findtext("service_code") == "FALLEN_TREE"
    assert (await app_client.get(f"{base(tenant.slug)}/services/NOPE.json")).status_code == 404


async def test_the_filters(app_client, two_tenants, settings):
    tenant = two_tenants.a
    key = await write_key(tenant)
    slug = tenant.slug
    tree = (await post_form(app_client, slug, {**FORM, "api_key": key})).json()[0]
    other = {**FORM, "api_key": key, "service_code": "TRAFFIC_ACCIDENT", "lat": "-7.95"}
    rejected_response = await post_form(app_client, slug, other)
    assert rejected_response.status_code == 200, rejected_response.text
    rejected = rejected_response.json()[0]
    operator = await auth_header(settings, Role.OPERATOR, tenant)
    rid = await report_id(app_client, slug, key, rejected["service_request_id"])
    await act(app_client, slug, REJECT, operator, id=rid, r="Laporan tidak lengkap")
    t1, t2 = tree["service_request_id"], rejected["service_request_id"]

    async def tickets(**params) -> list[str]:
        response = await app_client.get(
            f"{base(slug)}/requests.json", params=params, headers={"X-API-Key": key}
        )
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    assert await tickets() == [t2, t1]  # newest first, the last 90 days
    assert await tickets(service_request_id=f"{t1},{t2}") == [t2, t1]
    assert await tickets(service_code="FALLEN_TREE") == [t1]
    assert await tickets(status="closed") == [t2]
    assert await tickets(status="open") == [t1]
    assert await tickets(status="open,closed", page_size="1") == [t2]
    assert await tickets(status="open,closed", page_size="1", page="2") == [t1]
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await tickets(start_date=later) == []
    assert await tickets(end_date=later) == [t2, t1]
    earlier = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await tickets(start_date=earlier, end_date=later) == [t2, t1]
    # The public never sees an unverified or rejected request.
    public = await app_client.get(f"{base(slug)}/requests.json")
    assert public.status_code == 200 and public.json() == []

    for params in (
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"start_date": later, "end_date": earlier},
        {"start_date": "2026-01-01T00:00:00+07:00", "end_date": "2026-06-01T00:00:00+07:00"},
        {"page_size": "5000"},
        {"end_date": "0001-01-01T00:00:00"},
        {"start_date": "9999-12-31T00:00:00"},
    ):
        response = await app_client.get(f"{base(slug)}/requests.json", params=params)
        assert response.status_code == 400, params
        [error] = response.json()
        assert error["code"] == 400 and " / " in error["description"]


async def test_refusals_in_the_standard_format(app_client, two_tenants):
    tenant = two_tenants.a
    slug = tenant.slug
    key = await write_key(tenant)
    read_only = await write_key(tenant, ("reports:read",))

    async def refused(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        [error] = errors_of(response)
        assert error["code"] == status
        return error["description"]

    text = await refused(
        await app_client.get(f"{base(slug)}/services.xml", params={"jurisdiction_id": "x"}), 404
    )
    assert text == "jurisdiction_id tidak dikenal. / Unknown jurisdiction_id."
    await refused(await post_form(app_client, slug, {**FORM, "jurisdiction_id": "x"}, "xml"), 404)
    # No key, a bad key, a read-only key.
    await refused(await post_form(app_client, slug, FORM), 403)
    bad = "jogo_000000000000_" + "A" * 43
    await refused(await post_form(app_client, slug, {**FORM, "api_key": bad}, "xml"), 403)
    await refused(await app_client.get(f"{base(slug)}/requests.json?api_key=nope"), 403)
    text = await refused(await post_form(app_client, slug, {**FORM, "api_key": read_only}), 403)
    assert text.startswith("api_key ini tidak boleh membuat laporan.")
    # Bad input: every wrong field at once, each named by its Open311 parameter.
    response = await post_form(
        app_client,
        slug,
        {**FORM, "api_key": key, "service_code": "", "description": "x", "phone": "123"},
    )
    assert response.status_code == 400
    described = [e["description"] for e in response.json()]
    assert any(d.startswith("Parameter service_code tidak sah.") for d in described)
    assert any(d.startswith("Parameter description tidak sah.") for d in described)
    assert any(d.startswith("Nomor telepon harus") for d in described)
    await refused(await post_form(app_client, slug, {**FORM, "api_key": key, "lat": ""}), 400)
    await refused(
        await post_form(app_client, slug, {**FORM, "api_key": key, "service_code": "NOPE"}), 400
    )
    await refused(await post_form(app_client, slug, {**FORM, "api_key": key, "lat": "-20.0"}), 400)
    # An unknown command, request, token, format.
    await refused(await app_client.get(f"{base('tidak-ada')}/services.json"), 404)
    await refused(await app_client.get(f"{base(slug)}/requests/NOPE-1.json"), 404)
    await refused(await app_client.get(f"{base(slug)}/tokens/{uuid.uuid4()}.xml"), 404)
    await refused(await app_client.get(f"{base(slug)}/tokens/nope.json"), 404)
    await refused(await app_client.get(f"{base(slug)}/services.csv"), 404)
    # Nothing a caller sends reaches PostgreSQL as a NUL.
    await refused(await app_client.get(f"{base(slug)}/requests/A%00B.json"), 404)
    response = await app_client.get(f"{base(slug)}/requests.json?service_code=%00")
    assert response.status_code == 200 and response.json() == []


async def test_two_commands_never_see_each_other(app_client, two_tenants, settings):
    a, b = two_tenants.a, two_tenants.b
    key_a, key_b = await write_key(a), await write_key(b)
    made = (await post_form(app_client, a.slug, {**FORM, "api_key": key_a})).json()[0]
    ticket, token = made["service_request_id"], made["token"]
    operator = await auth_header(settings, Role.OPERATOR, a)
    await act(
        app_client, a.slug, VERIFY, operator, id=await report_id(app_client, a.slug, key_a, ticket)
    )
    assert (await app_client.get(f"{base(a.slug)}/requests/{ticket}.json")).status_code == 200

    missing = await app_client.get(f"{base(b.slug)}/requests/NOPE-2026-000001.json")
    for response in (
        await app_client.get(f"{base(b.slug)}/requests/{ticket}.json"),
        await app_client.get(f"{base(b.slug)}/requests/{ticket}.json?api_key={key_b}"),
        await app_client.get(f"{base(b.slug)}/tokens/{token}.json"),
    ):
        assert response.status_code == 404
        assert response.json() == missing.json()
    listed = await app_client.get(f"{base(b.slug)}/requests.json", headers={"X-API-Key": key_b})
    assert ticket not in listed.text
    listed = await app_client.get(
        f"{base(b.slug)}/requests.json", params={"service_request_id": ticket}
    )
    assert listed.json() == []
    # A's key is no key at B: refused as any bad key is.
    response = await post_form(app_client, b.slug, {**FORM, "api_key": key_a})
    assert response.status_code == 403
    assert response.json()[0]["description"] == "api_key tidak sah. / The api_key is not valid."
    # Its jurisdiction_id is A's slug: B refuses it.
    response = await app_client.get(
        f"{base(b.slug)}/requests.json", params={"jurisdiction_id": a.slug}
    )
    assert response.status_code == 404


async def test_a_read_key_reads_everything_and_a_retry_is_the_same_request(app_client, two_tenants):
    tenant = two_tenants.a
    slug = tenant.slug
    key, reader = await write_key(tenant), await write_key(tenant, ("reports:read",))
    retry = {"Idempotency-Key": str(uuid.uuid4())}
    first = await post_form(app_client, slug, {**FORM, "api_key": key}, **retry)
    again = await post_form(app_client, slug, {**FORM, "api_key": key}, **retry)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    ticket = first.json()[0]["service_request_id"]
    # The same key with other input is a conflict, in the standard format.
    other = await post_form(
        app_client, slug, {**FORM, "api_key": key, "description": "Lain sama sekali."}, **retry
    )
    assert other.status_code == 409 and other.json()[0]["code"] == 409
    bad = await post_form(app_client, slug, {**FORM, "api_key": key}, **{"Idempotency-Key": "x"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400
    # A reports:read key sees the unverified request the public does not.
    seen = await app_client.get(f"{base(slug)}/requests/{ticket}.json", params={"api_key": reader})
    assert seen.status_code == 200 and seen.json()[0]["status"] == "open"
    assert (await app_client.get(f"{base(slug)}/requests/{ticket}.json")).status_code == 404
