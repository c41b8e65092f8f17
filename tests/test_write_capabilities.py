"""Issue 12, part 5: seeing an object never implies changing it.

- Every mutation of the committed SDL of all three schemas is called by a read-only API
  key and by every role or key that may not write it, with minimal arguments built from
  the SDL types, and must answer FORBIDDEN (UNAUTHENTICATED for anonymous callers;
  404 for a caller who is not a member of the tenant at all). The callers that may call
  it are listed per mutation, each with its reason, and are checked to get past the guard.
- The issue's example: a ``reports:read`` key cannot add a public note to a report.
- Reads the README calls staff-only (cameras and their stream URLs, the election board,
  the police deployment) are refused to agency liaisons and integrator keys.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from helpers import MALANG, NOTE, READ_SCOPES, auth_header, gql, onboard, submit

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    build_schema,
)
from jogo.graphql.permissions import WriteGuard
from jogo.graphql.schemas import full_tenant_schema, national_schema, platform_schema
from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import SCOPE_CAPS, WRITE_CAPS, Role
from jogo.platform.registry import MODULES, TenantInfo

SDL_DIR = Path(__file__).resolve().parents[1] / "graphql" / "schema"

# Every scope that only reads; one key holds them all.
STAFF = {"officer", "operator", "tenant_admin"}
OPERATORS = {"operator", "tenant_admin"}

# Who may call each tenant mutation, and why. Everyone else must be refused.
TENANT_ALLOWED: dict[str, set[str]] = {
    # Citizen mutation: anyone may report, anonymously too (with a tracking PIN).
    "submitReport": {"anonymous", "citizen", "key:reports:write"} | STAFF,
    "verifyReport": OPERATORS | {"key:reports:write"},
    "rejectReport": OPERATORS | {"key:reports:write"},
    "assignReport": OPERATORS | {"key:reports:write"},
    "dispatchReport": OPERATORS | {"key:reports:write"},
    # The assigned officer moves their own report on; operators any report.
    "updateReportStatus": STAFF | {"key:reports:write"},
    # Citizen mutation: a reporter follows up on their own report (always public; any
    # other report is NOT_FOUND). Officers on reports assigned to them; operators on any.
    "addReportNote": {"citizen", "key:reports:write"} | STAFF,
    "setCategorySla": {"tenant_admin"},
    # Units are the operators' shift board (status, crews): signed-in staff only, not keys.
    "createUnit": OPERATORS,
    "updateUnit": OPERATORS,
    "setUnitStatus": OPERATORS,
    "setUnitMembers": OPERATORS,
    "deactivateUnit": OPERATORS,
    # The SLA working calendar (collective leave, regional holidays): tenant admins.
    "setCollectiveLeaveOff": {"tenant_admin"},
    "addNonWorkingDay": {"tenant_admin"},
    "removeNonWorkingDay": {"tenant_admin"},
    # Citizen mutation: the panic button, for signed-in people (not keys).
    "raiseSos": {"citizen"} | STAFF,
    "createAgency": {"tenant_admin", "key:agencies:write"},
    "setRoutingRule": {"tenant_admin", "key:agencies:write"},
    "retryDispatch": OPERATORS | {"key:reports:write"},
    "addAgencyLiaison": {"tenant_admin", "key:agencies:write"},
    "setAgencyJurisdiction": {"tenant_admin", "key:agencies:write"},
    # The liaison's own job: what a manual agency did (only its own dispatches).
    "updateDispatchStatus": {"agency_liaison"} | OPERATORS,
    "draftBulletin": OPERATORS | {"key:bulletins:write"},
    "publishBulletin": OPERATORS | {"key:bulletins:write"},
    "updateBulletin": OPERATORS | {"key:bulletins:write"},
    "cancelBulletin": OPERATORS | {"key:bulletins:write"},
    # Citizen mutation: signed-in people share posts; moderators decide.
    "sharePost": {"citizen"} | STAFF,
    "approvePost": OPERATORS,
    "rejectPost": OPERATORS,
    "convertPostToReport": OPERATORS,
    "createCamera": {"tenant_admin", "key:agencies:write"},
    "createPolicePost": {"tenant_admin", "key:agencies:write"},
    # The directory is the command's: changed, deactivated and imported by its admins.
    "updateAgency": {"tenant_admin", "key:agencies:write"},
    "deactivateAgency": {"tenant_admin", "key:agencies:write"},
    "reactivateAgency": {"tenant_admin", "key:agencies:write"},
    "updateCamera": {"tenant_admin", "key:agencies:write"},
    "deactivateCamera": {"tenant_admin", "key:agencies:write"},
    "reactivateCamera": {"tenant_admin", "key:agencies:write"},
    "updatePolicePost": {"tenant_admin", "key:agencies:write"},
    "deactivatePolicePost": {"tenant_admin", "key:agencies:write"},
    "reactivatePolicePost": {"tenant_admin", "key:agencies:write"},
    "importDirectory": {"tenant_admin", "key:agencies:write"},
    # The KPU's or Bawaslu's system keeps the TPS list; the police deployment is not theirs.
    "importPollingStations": OPERATORS | {"key:election:write"},
    "createPollingStation": OPERATORS | {"key:election:write"},
    "setDeploymentRule": OPERATORS,
    "assignStationOfficer": OPERATORS,
    "unassignStationOfficer": OPERATORS,
    # The command's integrator keys: its tenant admin only (no key scope administers keys).
    "createApiKey": {"tenant_admin"},
    "revokeApiKey": {"tenant_admin"},
    "rotateApiKey": {"tenant_admin"},
    # Issue 20: a key's trusted documents and its trusted-documents-only mode are its
    # command's admin's, like the key itself (no key scope administers keys).
    "registerTrustedDocuments": {"tenant_admin"},
    "removeTrustedDocuments": {"tenant_admin"},
    "setApiKeyTrustedDocumentsOnly": {"tenant_admin"},
    # Event webhooks: tenant admins and an integrator's key with webhooks:manage.
    "createWebhookSubscription": {"tenant_admin", "key:webhooks:manage"},
    "updateWebhookSubscription": {"tenant_admin", "key:webhooks:manage"},
    "deleteWebhookSubscription": {"tenant_admin", "key:webhooks:manage"},
    "rotateWebhookSecret": {"tenant_admin", "key:webhooks:manage"},
    "replayWebhookDelivery": {"tenant_admin", "key:webhooks:manage"},
    "replayWebhookEvents": {"tenant_admin", "key:webhooks:manage"},
    # The command's people: its tenant admins only.
    "createMember": {"tenant_admin"},
    # A command's sign-in policy (TOTP mandatory for its staff): its tenant admin only.
    "setStaffTwoFactorRequired": {"tenant_admin"},
    "changeMemberRole": {"tenant_admin"},
    "deactivateMember": {"tenant_admin"},
    "reactivateMember": {"tenant_admin"},
    "issuePasswordReset": {"tenant_admin"},
    "resetMemberTwoFactor": {"tenant_admin"},
    # One's own account: every signed-in person of the command, never an API key.
    "changePassword": {"citizen", "agency_liaison"} | STAFF,
    "logout": {"citizen", "agency_liaison"} | STAFF,
    # Issue 14 item 8: the jurisdiction is the command's admin's; transfers are made by
    # signed-in operators only (the one cross-tenant write; reports:write keys refused).
    "setJurisdiction": {"tenant_admin"},
    "transferReport": OPERATORS,
    # Issue 17: the command's gateways are its admins'; a person's own channels are theirs
    # (never a key's); operators retry what gave up, as they retry dispatches.
    "setNotificationGateway": {"tenant_admin"},
    "addNotificationChannel": {"citizen", "agency_liaison"} | STAFF,
    "removeNotificationChannel": {"citizen", "agency_liaison"} | STAFF,
    "retryNotification": OPERATORS | {"key:reports:write"},
    # Issue 21 (UU PDP): a person asks about their own data (never a key); operators
    # record requests on a person's behalf, do them and set legal holds; the DPO (tenant
    # admin) sets deadlines and retention.
    "requestMyData": {"citizen", "agency_liaison"} | STAFF,
    "recordDataSubjectRequest": OPERATORS,
    "startDataSubjectRequest": OPERATORS,
    "fulfilDataSubjectRequest": OPERATORS,
    "refuseDataSubjectRequest": OPERATORS,
    "setLegalHold": OPERATORS,
    "liftLegalHold": OPERATORS,
    "setPrivacyDeadline": {"tenant_admin"},
    "setRetentionRule": {"tenant_admin"},
    # Issue 21 (UU PDP): the breach register is the command's tenant admins' (its data
    # protection officer acts as one); no key scope records or closes a breach.
    "recordBreach": {"tenant_admin"},
    "updateBreach": {"tenant_admin"},
    "recordBreachNotification": {"tenant_admin"},
    # Consent (issue 21): tenant admins publish the notice; a signed-in person's own
    # consents (never a key's).
    "publishPrivacyNotice": {"tenant_admin"},
    "giveConsent": {"citizen", "agency_liaison"} | STAFF,
    "withdrawConsent": {"citizen", "agency_liaison"} | STAFF,
}
PLATFORM_ALLOWED: dict[str, set[str]] = {
    name: {"platform_admin"}
    for name in (
        "onboardTenant",
        "setTenantModules",
        "suspendTenant",
        "resumeTenant",
        "setTenantJurisdiction",
        "inviteTenantAdmin",
    )
}
ALLOWED = {"tenant": TENANT_ALLOWED, "national": {}, "platform": PLATFORM_ALLOWED}
STRAWBERRY = {
    "tenant": full_tenant_schema,
    "national": national_schema,
    "platform": platform_schema,
}


def sdl_mutations(name: str):
    schema = build_schema((SDL_DIR / f"{name}.graphql").read_text(encoding="utf-8"))
    return schema.mutation_type.fields if schema.mutation_type else {}


def test_read_only_scopes_grant_no_write():
    assert sorted(s for s in SCOPE_CAPS if s.endswith(":read")) == READ_SCOPES
    for scope in READ_SCOPES:
        assert not SCOPE_CAPS[scope] & WRITE_CAPS, scope


@pytest.mark.parametrize("name", sorted(STRAWBERRY))
def test_every_mutation_declares_a_write_capability(name):
    assert set(sdl_mutations(name)) == set(ALLOWED[name])  # a new mutation is listed here
    mutation = STRAWBERRY[name]()._schema.mutation_type
    for field_name, field in (mutation.fields if mutation else {}).items():
        guards = [
            e
            for e in field.extensions["strawberry-definition"].extensions
            if isinstance(e, WriteGuard)
        ]
        assert len(guards) == 1, field_name
        assert guards[0].caps and set(guards[0].caps) <= WRITE_CAPS, field_name
        assert guards[0].anonymous == (field_name == "submitReport"), field_name


# --- minimal arguments from the SDL types ------------------------------------------

SCALARS: dict[str, Any] = {
    "ID": str(uuid.UUID(int=0x5EED)),
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "JSON": {},
    "DateTime": "2030-01-01T00:00:00+00:00",
    "Date": "2030-01-01",
}


def value_for(gql_type: Any) -> Any:
    """A syntactically valid value; every required input field is filled, nothing else."""
    if isinstance(gql_type, GraphQLNonNull):
        return value_for(gql_type.of_type)
    if isinstance(gql_type, GraphQLList):
        return [value_for(gql_type.of_type)]
    if isinstance(gql_type, GraphQLEnumType):
        return next(iter(gql_type.values))
    if isinstance(gql_type, GraphQLInputObjectType):
        return {
            name: value_for(f.type)
            for name, f in gql_type.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default is None
        }
    assert isinstance(gql_type, GraphQLScalarType)
    return None if gql_type.name == "Upload" else SCALARS[gql_type.name]


def operation(name: str, field: Any) -> tuple[str, dict[str, Any], list[str]]:
    """The mutation text, its variables, and the variables that are file uploads."""
    required = {
        arg: a
        for arg, a in field.args.items()
        if isinstance(a.type, GraphQLNonNull) and a.default is None  # no default
    }
    header = ", ".join(f"${arg}: {a.type}" for arg, a in required.items())
    call = ", ".join(f"{arg}: ${arg}" for arg in required)
    text = (
        f"mutation{f'({header})' if header else ''} {{"
        f" {name}{f'({call})' if call else ''} {{ errors {{ code }} }} }}"
    )
    variables = {arg: value_for(a.type) for arg, a in required.items()}
    uploads = [arg for arg, a in required.items() if str(a.type).strip("!") == "Upload"]
    return text, variables, uploads


async def send(
    client: httpx.AsyncClient,
    path: str,
    text: str,
    variables: dict[str, Any],
    uploads: list[str],
    headers: dict[str, str] | None,
) -> tuple[int, dict]:
    if not uploads:
        response = await client.post(
            path, json={"query": text, "variables": variables}, headers=headers or {}
        )
        return response.status_code, response.json()
    # The GraphQL multipart request spec, as a client uploading a file sends it.
    file_map = {str(i): [f"variables.{arg}"] for i, arg in enumerate(uploads)}
    response = await client.post(
        path,
        headers=headers or {},
        data={
            "operations": json.dumps({"query": text, "variables": variables}),
            "map": json.dumps(file_map),
        },
        files={str(i): ("x.csv", io.BytesIO(b"code\nx\n"), "text/csv") for i in file_map},
    )
    return response.status_code, response.json()


def outcome(status: int, body: dict, name: str) -> str | None:
    """The code the caller got: the HTTP error's, a GraphQL error's, or the payload's."""
    if status != 200 or body.get("errors"):
        return str(body["errors"][0].get("extensions", {}).get("code", "NO_CODE"))
    errors = body["data"][name]["errors"]
    return errors[0]["code"] if errors else None


TENANT_ROLES = (Role.CITIZEN, Role.OFFICER, Role.OPERATOR, Role.TENANT_ADMIN, Role.AGENCY_LIAISON)
GLOBAL_ROLES = (
    Role.POLDA_SUPERVISOR,
    Role.NATIONAL_SUPERVISOR,
    Role.OVERSIGHT_AUDITOR,
    Role.PLATFORM_ADMIN,
)


async def callers(settings, tenant: TenantInfo) -> dict[str, dict[str, str] | None]:
    """Anonymous, every role, a key with every read-only scope, and a key per scope."""
    made: dict[str, dict[str, str] | None] = {"anonymous": None}
    for role in TENANT_ROLES:
        made[role.value] = await auth_header(settings, role, tenant)
    for role in GLOBAL_ROLES:
        polda = tenant.polda_code if role == Role.POLDA_SUPERVISOR else None
        made[role.value] = await auth_header(settings, role, polda=polda)
    keys = {"key:read-only": READ_SCOPES} | {f"key:{s}": [s] for s in SCOPE_CAPS}
    for name, scopes in keys.items():
        key = await create_api_key(tenant, name, scopes, "pytest")
        made[name] = {"Authorization": f"Bearer {key.key}"}
    return made


def refusal(schema: str, caller: str) -> str:
    if caller == "anonymous":
        return "UNAUTHENTICATED"
    if schema == "tenant" and caller in {r.value for r in GLOBAL_ROLES}:
        return "NOT_FOUND"  # not a member: to them the tenant does not exist
    return "FORBIDDEN"


@pytest.mark.parametrize("schema", ["tenant", "platform"])
async def test_every_mutation_refuses_whoever_may_not_write(app_client, settings, schema):
    tenant = await onboard(modules=sorted(MODULES))
    everyone = await callers(settings, tenant)
    path = {"tenant": f"/t/{tenant.slug}/graphql"}.get(schema, f"/{schema}/graphql")
    wrong: list[str] = []
    checked = 0
    for name, field in sdl_mutations(schema).items():
        text, variables, uploads = operation(name, field)
        for caller, headers in everyone.items():
            status, body = await send(app_client, path, text, variables, uploads, headers)
            got = outcome(status, body, name)
            checked += 1
            if caller in ALLOWED[schema][name]:
                if status != 200 or got in ("FORBIDDEN", "UNAUTHENTICATED"):
                    wrong.append(f"{name} by {caller}: allowed, but got {status} {got}")
            elif got != refusal(schema, caller):
                wrong.append(f"{name} by {caller}: expected {refusal(schema, caller)}, got {got}")
    assert wrong == []
    assert checked == len(ALLOWED[schema]) * len(everyone)


# --- the issue's example ------------------------------------------------------------

TIMELINE = "query($id: ID!) { report(id: $id) { timeline { kind note actorName } } }"


async def test_read_only_key_cannot_write_to_a_citizen(app_client, settings, two_tenants, owner):
    tenant = two_tenants.a
    path = f"/t/{tenant.slug}/graphql"
    citizen = await auth_header(settings, Role.CITIZEN, tenant)
    rid = (await submit(app_client, tenant.slug, citizen))["report"]["id"]
    key = await create_api_key(tenant, "Dashboard kota", ["reports:read"], "pytest")
    reader = {"Authorization": f"Bearer {key.key}"}
    # It can see the report...
    _, seen = await gql(app_client, path, TIMELINE, reader, id=rid)
    assert [e["kind"] for e in seen["data"]["report"]["timeline"]] == ["SUBMITTED"]
    # ...but not write to its reporter.
    phishing = "Hubungi 0812 9999 0000 untuk verifikasi laporan Anda"
    _, body = await gql(app_client, path, NOTE, reader, id=rid, n=phishing, p=True)
    assert body["data"]["addReportNote"] == {
        "report": None,
        "errors": [
            {
                "code": "FORBIDDEN",
                "field": None,
                "message": body["data"]["addReportNote"]["errors"][0]["message"],
            }
        ],
    }
    notes = await owner.fetchval(
        "SELECT count(*) FROM report_events WHERE report_id = $1::uuid AND kind = 'NOTE'", rid
    )
    assert notes == 0
    _, mine = await gql(app_client, path, TIMELINE, citizen, id=rid)
    assert phishing not in json.dumps(mine)
    # A liaison neither; another citizen gets "not found"; the reporter may reply.
    liaison = await auth_header(settings, Role.AGENCY_LIAISON, tenant)
    _, by_liaison = await gql(app_client, path, NOTE, liaison, id=rid, n="Halo", p=True)
    assert by_liaison["data"]["addReportNote"]["errors"][0]["code"] == "FORBIDDEN"
    stranger = await auth_header(settings, Role.CITIZEN, tenant)
    _, by_stranger = await gql(app_client, path, NOTE, stranger, id=rid, n=phishing, p=True)
    assert by_stranger["data"]["addReportNote"]["errors"][0]["code"] == "NOT_FOUND"
    _, own = await gql(app_client, path, NOTE, citizen, id=rid, n="Masih terhalang", p=True)
    assert own["data"]["addReportNote"]["errors"] == []
    assert (
        await owner.fetchval(
            "SELECT count(*) FROM report_events WHERE report_id = $1::uuid AND kind = 'NOTE'", rid
        )
        == 1
    )


# --- staff-only reads -----------------------------------------------------------------

CAMERAS = "{ cameras { name streamUrl } }"
NEARBY = f"""{{ nearby(latitude: {MALANG[0]}, longitude: {MALANG[1]}, radiusM: 2000,
  kinds: [CAMERA, HOSPITAL, POLICE_POST, AGENCY]) {{ kind name }} }}"""
NEAR_REPORT = "query($id: ID!) { report(id: $id) { ticket nearbyCameras { streamUrl } } }"
BOARD = "{ electionBoard { code state } }"
PLAN = "{ deploymentPlan { total { stations officers } } }"
STATION_OFFICERS = "{ pollingStations { edges { node { code officerIds } } } }"
STREAM = "rtsp://cctv.example/alun-alun"


def refused(body: dict, field: str) -> str | None:
    """The refusal code if ``field`` answered null with an error at its own path."""
    if body["data"] is None or body["data"].get(field) is not None:
        return None
    codes = [e["extensions"]["code"] for e in body.get("errors", []) if e["path"] == [field]]
    return codes[0] if codes else None


@pytest.fixture
async def staff_only(app_client, settings, owner):
    tenant = await onboard(modules=sorted(MODULES))
    await owner.execute(
        "INSERT INTO cameras (tenant_id, name, latitude, longitude, stream_url, status,"
        " last_seen_at) VALUES ($1, 'Kamera Alun-alun', $2, $3, $4, 'ONLINE', now())",
        tenant.id,
        MALANG[0] + 0.001,
        MALANG[1],
        STREAM,
    )
    everyone = await callers(settings, tenant)
    rid = (await submit(app_client, tenant.slug, everyone["operator"]))["report"]["id"]
    return tenant, everyone, rid


async def test_cameras_are_for_police_staff_only(app_client, staff_only):
    tenant, everyone, rid = staff_only
    path = f"/t/{tenant.slug}/graphql"
    refused_callers = ["anonymous", "citizen", "agency_liaison"]
    refused_callers += [c for c in everyone if c.startswith("key:")]
    for caller in refused_callers:
        headers = everyone[caller]
        _, listed = await gql(app_client, path, CAMERAS, headers)
        expected = "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN"
        assert refused(listed, "cameras") == expected, (caller, listed)
        assert STREAM not in json.dumps(listed)
        _, near = await gql(app_client, path, NEARBY, headers)
        assert near["data"]["nearby"] and "camera" not in {
            f["kind"] for f in near["data"]["nearby"]
        }
        if caller != "anonymous":
            _, report = await gql(app_client, path, NEAR_REPORT, headers, id=rid)
            assert STREAM not in json.dumps(report), caller
    _, by_key = await gql(app_client, path, NEAR_REPORT, everyone["key:reports:read"], id=rid)
    assert by_key["data"]["report"]["ticket"] and by_key["data"]["report"]["nearbyCameras"] is None
    assert by_key["errors"][0]["path"] == ["report", "nearbyCameras"]
    assert by_key["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for caller in ("officer", "operator", "tenant_admin"):
        _, listed = await gql(app_client, path, CAMERAS, everyone[caller])
        assert listed["data"]["cameras"] == [{"name": "Kamera Alun-alun", "streamUrl": STREAM}]
        _, near = await gql(app_client, path, NEARBY, everyone[caller])
        assert "camera" in {f["kind"] for f in near["data"]["nearby"]}
    _, report = await gql(app_client, path, NEAR_REPORT, everyone["operator"], id=rid)
    assert report["data"]["report"]["nearbyCameras"] == [{"streamUrl": STREAM}]


async def test_election_board_and_deployment_are_for_the_police(app_client, staff_only):
    tenant, everyone, _ = staff_only
    path = f"/t/{tenant.slug}/graphql"
    created = await gql(
        app_client,
        path,
        "mutation($i: PollingStationInput!) { createPollingStation(input: $i) {"
        " station { code } errors { code field } } }",
        everyone["operator"],
        i={
            "code": "3573011001001",
            "villageCode": "35.73.01.1001",
            "address": "SDN Balearjosari 1",
            "voters": 250,
            "vulnerability": "AMAN",
        },
    )
    assert created[1]["data"]["createPollingStation"]["errors"] == [], created
    cases = {
        BOARD: ("electionBoard", OPERATORS),
        PLAN: ("deploymentPlan", STAFF),
    }
    for query, (field, allowed) in cases.items():
        for caller, headers in everyone.items():
            if caller in {r.value for r in GLOBAL_ROLES}:
                continue  # not members of the tenant: 404 before any field
            status, body = await gql(app_client, path, query, headers)
            assert status == 200, body
            if caller in allowed:
                assert "errors" not in body and body["data"][field] is not None, (caller, body)
            else:
                expected = "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN"
                assert refused(body, field) == expected, (field, caller, body)
    # The KPU's key keeps the TPS list, but the officers named for them are not its.
    _, kpu = await gql(app_client, path, STATION_OFFICERS, everyone["key:election:write"])
    node = kpu["data"]["pollingStations"]["edges"][0]["node"]
    assert node == {"code": "3573011001001", "officerIds": None}
    assert kpu["errors"][0]["path"][-1] == "officerIds"
    assert kpu["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, officer = await gql(app_client, path, STATION_OFFICERS, everyone["officer"])
    assert "errors" not in officer
    assert officer["data"]["pollingStations"]["edges"][0]["node"]["officerIds"] == []


async def test_election_board_feed_refuses_a_reports_read_key(live_server, settings):
    tenant = await onboard(modules=sorted(MODULES))
    key = await create_api_key(tenant, "Dashboard kota", ["reports:read"], "pytest")
    async with websockets.connect(
        f"ws://{live_server}/t/{tenant.slug}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        init = {"Authorization": f"Bearer {key.key}"}
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        query = "subscription { electionBoard { code state } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert answer["type"] in ("next", "error") and answer["id"] == "1"
    errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
