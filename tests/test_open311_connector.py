"""The Open311 connector (``jogo.workers.connectors.open311``) against a local HTTP server
playing the agency: the GeoReport v2 form, and answers that are not a GeoReport v2
list refused as ``DeliveryFailed`` (retried through the outbox, never applied)."""

from __future__ import annotations

import json

import httpx
import pytest

from jogo.tenants.agencies.delivery import DeliveryJob
from jogo.workers.connectors.base import DeliveryFailed
from jogo.workers.connectors.open311 import fetch_request, request_form

REPORT = {
    "category_code": "JALAN_RUSAK",
    "latitude": -7.9666,
    "longitude": 112.6326,
    "ticket": "MLG-0001",
    "title": "Jalan berlubang",
    "description": "Lubang besar di depan pasar",
    "address": None,
}
PAYLOAD = {"report": REPORT, "dispatch_id": "d-1", "idempotency_key": "k-1"}


def job(service_codes: dict[str, str] | str | None) -> DeliveryJob:
    agency = {"service_codes": service_codes, "jurisdiction_id": None}
    return DeliveryJob(dispatch={}, agency=agency, report={})


def test_the_form_without_an_address_or_jurisdiction_leaves_them_out():
    form = request_form(job(json.dumps({"JALAN_RUSAK": "pothole"})), PAYLOAD, "key-1")
    assert form == {
        "api_key": "key-1",
        "service_code": "pothole",
        "lat": "-7.9666",
        "long": "112.6326",
        "description": "[MLG-0001] Jalan berlubang\n\nLubang besar di depan pasar",
        "attribute[jogo_dispatch_id]": "d-1",
        "attribute[jogo_idempotency_key]": "k-1",
    }
    with_address = {**PAYLOAD, "report": {**REPORT, "address": "Jl. Pasar Besar 1"}}
    assert request_form(job({"JALAN_RUSAK": "pothole"}), with_address, "k")["address_string"] == (
        "Jl. Pasar Besar 1"
    )


@pytest.mark.parametrize("codes", [None, {}, {"BANJIR": "flood"}, {"JALAN_RUSAK": ""}])
def test_a_category_without_a_service_code_is_not_sent(codes):
    with pytest.raises(DeliveryFailed) as caught:
        request_form(job(codes), PAYLOAD, "key-1")
    assert str(caught.value) == "no Open311 service code for JALAN_RUSAK"


@pytest.mark.parametrize(
    "answer",
    [[{"status": 3}], ["open"], [{"status_notes": "no status"}], [], {"status": "open"}],
    ids=["status-not-text", "not-an-object", "no-status", "empty", "not-a-list"],
)
async def test_a_status_answer_that_is_not_georeport_is_refused(sink, answer):
    sink.pages["/311/requests/R%2F1.json"] = (200, "application/json", json.dumps(answer).encode())
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryFailed) as caught:
            await fetch_request(client, f"{sink.url}/311/", "R/1")
    assert str(caught.value) == "the Open311 answer is not a GeoReport v2 list"


async def test_a_georeport_status_answer_is_returned(sink):
    request = {"service_request_id": "R/1", "status": "closed", "status_notes": "Sudah ditambal"}
    sink.pages["/311/requests/R%2F1.json"] = (
        200,
        "application/json",
        json.dumps([request]).encode(),
    )
    async with httpx.AsyncClient() as client:
        assert await fetch_request(client, f"{sink.url}/311", "R/1") == request
