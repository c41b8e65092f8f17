"""Attacks on issue 14 (people, sessions, API key life, liaison inbox, the command's audit
log, the directory and its import, units and queues, jurisdiction and transfers), from
outside over HTTP where the surface is HTTP. Each test is a finding, or a probe of a rule
that held (kept as a regression test)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from helpers import (
    API_KEYS,
    CREATE_API_KEY,
    IMPORT_DIRECTORY,
    NOTE,
    PASSWORD,
    ROTATE_API_KEY,
    TRACK,
    TRANSFER,
    act,
    auth_header,
    dispatch_to,
    gql,
    liaison_of,
    make_user,
    manual_agencies,
    onboard,
    png_bytes,
    submit,
    upload_report,
)

from jogo.platform.auth.apikeys import create_api_key
from jogo.platform.auth.roles import Role

REPORTER = {
    "reporterName": "Budi Santoso",
    "reporterPhone": "0812 3456 7890",
    "address": "Jl. Kawi No. 17, Klojen",
}
WHO = ("Budi", "Santoso", "0812", "3456", "Kawi")


def path(tenant) -> str:
    return f"/t/{tenant.slug}/graphql"


# --- agency liaisons: reporter identity ---


async def test_public_notes_show_no_reporter_identity_to_a_liaison(
    app_client, settings, two_tenants
):
    """Finding: the report an agency sees (``Dispatch.report``: agencyInbox, dispatch) masks
    the title and description, but its public timeline shows operators' public answers to
    the citizen and the citizen's own follow-up notes verbatim, with the reporter's name,
    phone and address."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    made = await submit(app_client, a.slug, citizen, **REPORTER)
    rid = made["report"]["id"]
    agency = (await manual_agencies(app_client, a.slug, admin))[0]
    did = await dispatch_to(app_client, a, admin, agency, rid)
    liaison = await liaison_of(app_client, settings, a, admin, agency)
    answer = "Terima kasih Pak Budi Santoso, kami hubungi di 0812 3456 7890."
    follow_up = "Saya Budi Santoso, rumah Jl. Kawi No. 17, Klojen, WA 0812 3456 7890."
    for who, note in ((admin, answer), (citizen, follow_up)):
        done = await act(app_client, a.slug, NOTE, who, id=rid, n=note, p=True)
        assert done["errors"] == [], done
    seen = {}
    for name, query in (
        (
            "dispatch",
            "query($id: ID!) { dispatch(id: $id) { report { title description"
            " timeline { note actorName } } } }",
        ),
        (
            "agencyInbox",
            "query($id: ID!) { agencyInbox(filter: {reportId: $id}) { edges {"
            " node { report { title description timeline { note actorName } } } } } }",
        ),
    ):
        variables = {"id": did if name == "dispatch" else rid}
        _, body = await gql(app_client, path(a), query, liaison, **variables)
        assert "errors" not in body, body
        seen[name] = json.dumps(body)
    for name, text in seen.items():
        leaked = [w for w in WHO if w in text]
        assert leaked == [], f"{name} shows the reporter to the liaison: {leaked}: {text}"


async def test_a_later_note_with_the_reporters_phone_written_differently_is_masked(
    app_client, settings, owner, two_tenants, span_exporter
):
    """The reporter's own phone in an operator's later public note, written with the
    country code and dashes, is masked in the liaison's view too, as in a dispatch's
    outcome note and last error (operators read those as written); and the masked page
    costs the same statements for a page of 1 as for a page of 3 (reporter values read in
    the rows' own statements, not per report)."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    citizen = await auth_header(settings, Role.CITIZEN, a)
    agency = (await manual_agencies(app_client, a.slug, admin))[0]
    rids = []
    for _ in range(3):
        rid = (await submit(app_client, a.slug, citizen, **REPORTER))["report"]["id"]
        await dispatch_to(app_client, a, admin, agency, rid)
        rids.append(rid)
    liaison = await liaison_of(app_client, settings, a, admin, agency)
    note = "Tim sudah menelepon pelapor di +62 812-3456-7890 tadi pagi."
    for rid in rids:
        done = await act(app_client, a.slug, NOTE, admin, id=rid, n=note, p=True)
        assert done["errors"] == [], done
    await owner.execute(
        "UPDATE dispatches SET outcome_note = $2, last_error = $2 WHERE report_id = $1::uuid",
        rids[0],
        "Pelapor Budi Santoso (+62 812-3456-7890) tidak bisa dihubungi",
    )
    query = (
        "query($first: Int!) { agencyInbox(first: $first) { edges { node {"
        " outcomeNote lastError report { title description timeline { note } } } } } }"
    )
    counts = []
    for first in (1, 3):
        span_exporter.clear()
        _, body = await gql(app_client, path(a), query, liaison, first=first)
        counts.append(
            sum(
                1
                for s in span_exporter.get_finished_spans()
                if s.attributes and s.attributes.get("db.system") == "postgresql"
            )
        )
        assert "errors" not in body, body
        edges = body["data"]["agencyInbox"]["edges"]
        assert len(edges) == first
        for edge in edges:
            notes = [e["note"] for e in edge["node"]["report"]["timeline"] if e["note"]]
            assert "Tim sudah menelepon pelapor di [telepon] tadi pagi." in notes, notes
        text = json.dumps(body)
        assert [w for w in (*WHO, "812", "7890") if w in text] == [], text
        masked = "Pelapor [nama] ([telepon]) tidak bisa dihubungi"
        assert edges[0]["node"]["outcomeNote"] == masked
        assert edges[0]["node"]["lastError"] == masked
    assert counts[0] == counts[1], counts
    operator = (
        "query($id: ID!) { allDispatches(filter: {reportId: $id}) { edges { node {"
        " outcomeNote } } } }"
    )
    _, body = await gql(app_client, path(a), operator, admin, id=rids[0])
    [edge] = body["data"]["allDispatches"]["edges"]
    assert edge["node"]["outcomeNote"].startswith("Pelapor Budi Santoso (+62 812")


async def test_a_liaison_reaches_only_its_agencys_dispatch_and_photo(
    app_client, settings, two_tenants
):
    """Held: another agency's liaison, and the other command's operator, get NOT_FOUND /
    404 for the dispatch and its photo."""
    a, b = two_tenants.a, two_tenants.b
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    made = await upload_report(
        app_client, a.slug, None, [("p.png", png_bytes(), "image/png")], anonymous=True
    )
    rid = made["report"]["id"]
    mine, other = (await manual_agencies(app_client, a.slug, admin))[:2]
    did = await dispatch_to(app_client, a, admin, mine, rid)
    ours = await liaison_of(app_client, settings, a, admin, mine)
    theirs = await liaison_of(app_client, settings, a, admin, other)
    q = "query($id: ID!) { dispatch(id: $id) { report { attachments { url } } } }"
    _, body = await gql(app_client, path(a), q, ours, id=did)
    [photo] = body["data"]["dispatch"]["report"]["attachments"]
    assert (await app_client.get(photo["url"], headers=ours)).status_code == 200
    _, body = await gql(app_client, path(a), q, theirs, id=did)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await app_client.get(photo["url"], headers=theirs)).status_code == 404
    b_operator = await auth_header(settings, Role.OPERATOR, b)
    _, body = await gql(app_client, path(b), q, b_operator, id=did)
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    for url in (photo["url"], photo["url"].replace(a.slug, b.slug)):
        assert (await app_client.get(url, headers=b_operator)).status_code == 404
    _, body = await gql(app_client, path(a), "{ reports { edges { node { id } } } }", ours)
    assert body["data"]["reports"]["edges"] == []


# --- the directory import ---


@pytest.mark.parametrize(
    "lat,lon", [("-91", "112.6"), ("95", "200"), ("1e308", "1e308"), ("-7_9", "112_6")]
)
async def test_out_of_range_coordinates_in_an_import_are_row_errors(
    app_client, settings, two_tenants, lat, lon
):
    """Finding: a latitude or longitude out of range in an agencies CSV is not checked
    row by row; the database's check constraint fails the whole import with HTTP 200
    "Unexpected error." (code INTERNAL), also with partial: true ("-7_9" is read by
    Python's float() as -79)."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    csv = (
        "code,name,latitude,longitude\n"
        "GOOD1,Dinas Baik,-7.87,112.52\n"
        f"BAD1,Dinas Buruk,{lat},{lon}\n"
    )
    _, body = await gql(app_client, path(a), IMPORT_DIRECTORY, admin, k="AGENCIES", csv=csv, p=True)
    assert "errors" not in body, body
    done = body["data"]["importDirectory"]
    assert done["created"] == 1, done
    assert [(e["line"], e["field"]) for e in done["rowErrors"]] == [(3, "latitude")], done


async def test_an_agency_import_cannot_turn_a_hospital_into_a_dinas(
    app_client, settings, two_tenants
):
    """Finding: the import upserts by code across kinds. An agencies CSV naming a
    hospital's code rewrites that hospital as a dinas (its capacity link cleared): it
    leaves `hospitals`, `nearby` and the SOS answer, reported as one "updated" row. A
    hospitals CSV turns a dinas into a hospital the same way."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(app_client, path(a), "{ hospitals { code } }", admin)
    code = body["data"]["hospitals"][0]["code"]
    csv = f"code,name,kind\n{code},Bukan Rumah Sakit,dinas\n"
    _, body = await gql(
        app_client, path(a), IMPORT_DIRECTORY, admin, k="AGENCIES", csv=csv, p=False
    )
    done = body["data"]["importDirectory"]
    _, after = await gql(app_client, path(a), "{ hospitals { code } }", admin)
    assert code in [h["code"] for h in after["data"]["hospitals"]], done
    assert done["kept"] is False and done["rowErrors"][0]["field"] == "code", done


async def test_parallel_imports_of_one_file_create_each_entry_once(
    app_client, settings, two_tenants, owner
):
    """Held: twelve parallel imports of the same 50 rows: one creates, the others update,
    no error."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    csv = "code,name,latitude,longitude\n" + "\n".join(
        f"PAR{i},Dinas Paralel {i},-7.87,112.52" for i in range(50)
    )
    results = await asyncio.gather(
        *[
            gql(app_client, path(a), IMPORT_DIRECTORY, admin, k="AGENCIES", csv=csv, p=False)
            for _ in range(12)
        ]
    )
    for _, body in results:
        assert "errors" not in body, body
    assert sum(b["data"]["importDirectory"]["created"] for _, b in results) == 50
    count = await owner.fetchval(
        "SELECT count(*) FROM agencies WHERE tenant_id = $1 AND code LIKE 'PAR%'", a.id
    )
    assert count == 50


# --- API keys ---


async def test_a_retried_rotation_does_not_mint_a_short_lived_key(
    app_client, settings, two_tenants
):
    """Finding: rotating a key that was already rotated (a retry without clientKey, a
    double click, or parallel requests) is accepted and mints another live key each time;
    and since the first rotation shortened the old key to its overlap, every later
    successor "inherits" that short life: a key meant to live for ever comes back
    EXPIRING, dying within the hour here (overlapHours 1)."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    _, body = await gql(
        app_client, path(a), CREATE_API_KEY, admin, name="erp", scopes=["reports:read"]
    )
    key_id = body["data"]["createApiKey"]["apiKey"]["id"]
    answers = []
    for _ in range(2):
        _, body = await gql(app_client, path(a), ROTATE_API_KEY, admin, id=key_id, h=1)
        answers.append(body["data"]["rotateApiKey"])
    first, second = answers
    assert first["errors"] == [] and first["apiKey"]["expiresAt"] is None, first
    assert (second["errors"] and second["errors"][0]["code"] == "ILLEGAL_TRANSITION") or (
        second["apiKey"]["expiresAt"] is None
    ), second


async def test_keys_never_cross_commands_or_administer(app_client, settings, two_tenants):
    """Held: another command's admin gets NOT_FOUND for our key; a write key can neither
    transfer, read the audit log, nor manage keys; X-API-Key and a different Bearer key
    together are 401."""
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    write = await create_api_key(a, "rw", ["reports:read", "reports:write", "agencies:write"])
    read = await create_api_key(a, "ro", ["reports:read"])
    key_id = str(write.id)
    for mutation in (
        "revokeApiKey(id: $id) { errors { code } }",
        "rotateApiKey(id: $id) { errors { code } }",
    ):
        _, body = await gql(
            app_client, path(b), f"mutation($id: ID!) {{ {mutation} }}", admin_b, id=key_id
        )
        assert next(iter(body["data"].values()))["errors"][0]["code"] == "NOT_FOUND"
    made = await submit(app_client, a.slug, admin_a)
    headers = {"X-API-Key": write.key}
    _, body = await gql(
        app_client,
        path(a),
        TRANSFER,
        headers,
        id=made["report"]["id"],
        to=b.slug,
        r="kunci integrator",
    )
    assert body["data"]["transferReport"]["errors"][0]["code"] == "FORBIDDEN"
    assert (await app_client.get(f"/t/{a.slug}/audit.csv", headers=headers)).status_code == 403
    _, body = await gql(app_client, path(a), API_KEYS, headers)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    both = {"X-API-Key": read.key, "Authorization": f"Bearer {write.key}"}
    status, body = await gql(app_client, path(a), "{ tenant { slug } }", both)
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, _ = await gql(app_client, path(b), "{ tenant { slug } }", {"X-API-Key": read.key})
    assert status in (401, 403, 404)


# --- people ---


async def test_another_commands_admin_cannot_touch_our_people_or_agencies(
    app_client, settings, two_tenants
):
    """Held: B's admin binding a liaison to A's agency, or changing, deactivating,
    reactivating or resetting A's people, is NOT_FOUND, like an id that exists nowhere."""
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    agency = (await manual_agencies(app_client, a.slug, admin_a))[0]
    create = """mutation($i: CreateMemberInput!) { createMember(input: $i) {
      member { id } activationCode errors { code field } } }"""
    _, body = await gql(
        app_client,
        path(b),
        create,
        admin_b,
        i={"username": "liaison_b_x1", "role": "AGENCY_LIAISON", "agencyId": agency},
    )
    assert body["data"]["createMember"]["errors"] == [{"code": "NOT_FOUND", "field": "agencyId"}]
    _, body = await gql(
        app_client,
        path(a),
        create,
        admin_a,
        i={"username": f"op_a_{a.slug[-6:]}", "role": "OPERATOR"},
    )
    victim = body["data"]["createMember"]["member"]["id"]
    for mutation in (
        "changeMemberRole(userId: $u, role: TENANT_ADMIN) { errors { code } }",
        "deactivateMember(userId: $u) { errors { code } }",
        "reactivateMember(userId: $u) { errors { code } }",
        "issuePasswordReset(userId: $u) { code errors { code } }",
    ):
        _, body = await gql(
            app_client, path(b), f"mutation($u: ID!) {{ {mutation} }}", admin_b, u=victim
        )
        payload = next(iter(body["data"].values()))
        assert payload["errors"][0]["code"] == "NOT_FOUND", (mutation, body)
        assert payload.get("code") is None


# --- transfers ---


async def test_a_transfer_moves_photos_and_tracking_and_nothing_else(
    app_client, settings, two_tenants
):
    """Held: B's operator cannot transfer A's report; after A's operator transfers it, the
    photo is served only by B's path to B's staff, A's operator finds nothing, and the
    ticket and PIN work on both endpoints."""
    a, b = two_tenants.a, two_tenants.b
    op_a = await auth_header(settings, Role.OPERATOR, a)
    op_b = await auth_header(settings, Role.OPERATOR, b)
    made = await upload_report(
        app_client, a.slug, None, [("p.png", png_bytes(), "image/png")], anonymous=True
    )
    rid, ticket, pin = made["report"]["id"], made["report"]["ticket"], made["pin"]
    _, body = await gql(app_client, path(b), TRANSFER, op_b, id=rid, to=a.slug, r="bukan milik")
    assert body["data"]["transferReport"]["errors"][0]["code"] == "NOT_FOUND"
    photos = "query($id: ID!) { report(id: $id) { attachments { url } } }"
    _, body = await gql(app_client, path(a), photos, op_a, id=rid)
    [old] = body["data"]["report"]["attachments"]
    _, body = await gql(app_client, path(a), TRANSFER, op_a, id=rid, to=b.slug, r="milik Batu")
    assert body["data"]["transferReport"]["errors"] == [], body
    assert (await app_client.get(old["url"], headers=op_a)).status_code == 404
    _, body = await gql(app_client, path(b), photos, op_b, id=rid)
    [new] = body["data"]["report"]["attachments"]
    assert (await app_client.get(new["url"], headers=op_b)).status_code == 200
    for url in (new["url"], new["url"].replace(b.slug, a.slug)):
        assert (await app_client.get(url, headers=op_a)).status_code == 404
        assert (await app_client.get(url)).status_code in (401, 404)
    _, body = await gql(app_client, path(a), photos, op_a, id=rid)
    assert body["data"]["report"] is None
    for tenant in (a, b):
        _, body = await gql(app_client, path(tenant), TRACK, None, t=ticket, p=pin)
        assert body["data"]["trackReport"]["commandSlug"] == b.slug, body
        _, body = await gql(app_client, path(tenant), TRACK, None, t=ticket, p="00000000")
        assert body["data"]["trackReport"] is None


# --- the command's audit log ---


async def test_the_audit_log_stays_in_its_command(app_client, settings, two_tenants):
    """Held: A's admin gets 404 for B's audit.csv, a national call needs audit:read, and
    each command's auditLog holds only its own rows."""
    a, b = two_tenants.a, two_tenants.b
    admin_a = await auth_header(settings, Role.TENANT_ADMIN, a)
    admin_b = await auth_header(settings, Role.TENANT_ADMIN, b)
    assert (await app_client.get(f"/t/{b.slug}/audit.csv", headers=admin_a)).status_code == 404
    got = await app_client.get(f"/national/audit.csv?tenant={b.slug}", headers=admin_a)
    assert got.status_code == 403
    query = "{ auditLog(first: 100) { entries { tenantId action } } }"
    for tenant, admin in ((a, admin_a), (b, admin_b)):
        _, body = await gql(app_client, path(tenant), query, admin)
        ids = {e["tenantId"] for e in body["data"]["auditLog"]["entries"]}
        assert ids <= {str(tenant.id)}, body


# --- the command line ---


def test_a_cli_command_without_a_database_exits_1_with_one_line(tmp_path):
    """Held: `jogo tenant list` in a folder without a database (and no JOGO_*) says so in
    one line and exits 1, creating nothing."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("JOGO_", "OTEL_"))}
    done = subprocess.run(
        [sys.executable, "-m", "jogo.platform.app.cli", "tenant", "list"],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1, done
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done
    assert not (tmp_path / ".jogo").exists()


# --- a second command onboarded without the sample ---


async def test_units_and_officers_stay_in_their_command(app_client, settings, owner):
    """Held: an operator cannot assign B's officer or unit, nor put B's officer in A's
    unit; officers(search) lists only A's staff."""
    a = await onboard(region="35.73")
    b = await onboard(template="minimal", region="35.79", sample_directory=False)
    op_a = await auth_header(settings, Role.OPERATOR, a)
    op_b = await auth_header(settings, Role.OPERATOR, b)
    _, body = await gql(
        app_client, path(b), '{ officers(search: "") { edges { node { id } } } }', op_b
    )
    b_staff = [e["node"]["id"] for e in body["data"]["officers"]["edges"]]
    assert b_staff
    unit_q = "mutation($n: String!) { createUnit(name: $n, kind: SAMAPTA) { unit { id } } }"
    _, body = await gql(app_client, path(b), unit_q, op_b, n="Samapta B")
    b_unit = body["data"]["createUnit"]["unit"]["id"]
    _, body = await gql(app_client, path(a), unit_q, op_a, n="Samapta A")
    a_unit = body["data"]["createUnit"]["unit"]["id"]
    made = await submit(app_client, a.slug, op_a)
    assign = """mutation($id: ID!, $o: ID, $u: ID) { assignReport(reportId: $id, officerId: $o,
      unitId: $u) { errors { code field } } }"""
    _, body = await gql(app_client, path(a), assign, op_a, id=made["report"]["id"], o=b_staff[0])
    assert body["data"]["assignReport"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "officerId"}
    ]
    _, body = await gql(app_client, path(a), assign, op_a, id=made["report"]["id"], u=b_unit)
    assert body["data"]["assignReport"]["errors"] == [{"code": "NOT_FOUND", "field": "unitId"}]
    assert await owner.fetchrow(
        "SELECT assigned_officer_id, assigned_unit_id FROM reports"
        " WHERE tenant_id = $1 AND id = $2::uuid",
        a.id,
        made["report"]["id"],
    ) == (None, None)
    members = """mutation($u: ID!, $ids: [ID!]!) { setUnitMembers(unitId: $u, userIds: $ids) {
      errors { code field } } }"""
    _, body = await gql(app_client, path(a), members, op_a, u=a_unit, ids=b_staff[:1])
    assert body["data"]["setUnitMembers"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "userIds"}
    ]
    members_of_a = await owner.fetchval(
        "SELECT count(*) FROM unit_members WHERE tenant_id = $1 AND unit_id = $2::uuid",
        a.id,
        a_unit,
    )
    assert members_of_a == 0
    _, body = await gql(
        app_client, path(a), '{ officers(search: "") { edges { node { id } } } }', op_a
    )
    assert not {e["node"]["id"] for e in body["data"]["officers"]["edges"]} & set(b_staff)


async def test_a_deactivated_person_who_belongs_nowhere_cannot_sign_in(
    app_client, settings, two_tenants
):
    """Finding (low): after deactivateMember, a person who belongs to no other command
    still signs in (POST /auth/token answers 200 with an access and a refresh token, and
    a session is opened and audited) and can change the password with POST /auth/password;
    only the next request or refresh is refused. A deactivated account should be refused at
    sign-in (401), as `refresh` already does."""
    a = two_tenants.a
    admin = await auth_header(settings, Role.TENANT_ADMIN, a)
    user_id, username = await make_user(Role.OPERATOR, a)
    _, body = await gql(
        app_client,
        path(a),
        "mutation($u: ID!) { deactivateMember(userId: $u) { errors { code } } }",
        admin,
        u=str(user_id),
    )
    assert body["data"]["deactivateMember"]["errors"] == [], body
    signed = await app_client.post("/auth/token", json={"username": username, "password": PASSWORD})
    assert signed.status_code == 401, signed.text
