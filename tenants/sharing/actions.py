"""The only writes of sharing: share, moderate (approve or reject with a reason), and
turn a post into a report. A post is public only while APPROVED."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from jogo.platform import db, idempotency
from jogo.platform.audit import write_audit
from jogo.platform.auth.principal import Principal, denied
from jogo.platform.auth.roles import Cap
from jogo.platform.auth.users import load_user_principal
from jogo.platform.errors import (
    Conflict,
    InputErrors,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from jogo.platform.ratelimit import RateLimited
from jogo.platform.registry import TenantInfo
from jogo.platform.storage import FileStore
from jogo.tenants.consent.actions import require_consent
from jogo.tenants.reports import events
from jogo.tenants.reports.intake import Submitted, do_submit_report
from jogo.tenants.reports.photos import Photo, check_photo
from jogo.tenants.reports.retries import stored_report
from jogo.tenants.reports.validation import ReportInput, in_indonesia
from jogo.tenants.sharing.screening import hold_reasons
from jogo.tenants.webhooks import events as webhooks

POSTS_PER_HOUR = 10
log = logging.getLogger("jogo.sharing")


@dataclass
class PostInput:
    body: str
    latitude: float | None = None
    longitude: float | None = None
    photo: bytes | None = None
    # The privacy notice version the author was shown: sharing rests on consent.
    notice_version: str | None = None


class HeldContent(Conflict):
    code = "HELD_CONTENT"


def _check(data: PostInput) -> tuple[str, list[str]]:
    errors: list[InvalidInput] = []
    body = (data.body or "").strip()
    if not 3 <= len(body) <= 2000:
        errors.append(InvalidInput("the post must be 3-2000 characters", field="body"))
    if (data.latitude is None) != (data.longitude is None):
        errors.append(
            InvalidInput("give both latitude and longitude, or neither", field="latitude")
        )
    elif (
        data.latitude is not None
        and data.longitude is not None
        and not in_indonesia(data.latitude, data.longitude)
    ):
        errors.append(InvalidInput("the location must lie in Indonesia", field="latitude"))
    if errors:
        raise InputErrors(errors)
    return body, hold_reasons(body)


async def do_share_post(
    tenant: TenantInfo,
    principal: Principal,
    data: PostInput,
    store: FileStore,
    *,
    client_key: str | None = None,
) -> uuid.UUID:
    """A signed-in member's post: PENDING, or HELD when it holds links or phone numbers.
    At most :data:`POSTS_PER_HOUR` per author (``RateLimited``). ``client_key``
    (:mod:`jogo.platform.idempotency`): a retry with the same key and input returns the
    first try's post and neither writes nor counts; other input is
    ``IdempotencyConflict``. Sharing rests on consent (UU PDP art. 20 (2) a):
    ``data.notice_version`` is the notice version the author was shown, recorded with
    the post; ``ConsentRequired`` on ``noticeVersion`` when it is missing or stale and
    the author's live consent to sharing is not to the version in force."""
    if principal.kind != "user" or Cap.SHARING_POST not in principal.tenant_caps(tenant.id):
        raise denied(principal, "only members of this command can share posts")
    idempotency.check_key(client_key)
    body, reasons = _check(data)
    photo = await check_photo(data.photo, field="photo") if data.photo is not None else None
    retry = idempotency.client_key(
        "sharePost",
        principal,
        client_key,
        {
            "body": body,
            "latitude": data.latitude,
            "longitude": data.longitude,
            "photo": photo.sha256 if photo else None,
        },
    )
    if retry is not None:
        async with db.tenant_tx(tenant.id):
            earlier = await idempotency.recall(retry)
        if earlier is not None:
            return earlier
    post_id = uuid.uuid4()
    key = f"{tenant.id}/{post_id}/{uuid.uuid4()}.{photo.extension}" if photo else None
    try:
        if photo and key:
            await store.put(key, photo.data)
        earlier = await _insert_post(
            tenant, principal, data, post_id, body, reasons, photo, key, retry
        )
    except BaseException:
        if key:
            await store.delete(key)
        raise
    if earlier is not None:
        # A parallel duplicate made it first: this try leaves no trace.
        if key:
            await store.delete(key)
        return earlier
    return post_id


async def _insert_post(
    tenant: TenantInfo,
    principal: Principal,
    data: PostInput,
    post_id: uuid.UUID,
    body: str,
    reasons: list[str],
    photo: Photo | None,
    key: str | None,
    retry: idempotency.ClientKey | None,
) -> uuid.UUID | None:
    """The post's transaction: ``None`` when it made the post, else the post an earlier
    try under the same client key made (and it wrote nothing)."""
    async with db.tenant_tx(tenant.id):
        if retry is not None:
            earlier = await idempotency.claim(tenant.id, retry, post_id)
            if earlier is not None:
                return earlier
        if principal.id is not None:
            await require_consent(tenant.id, principal.id, "sharing", data.notice_version)
        # Counted under a per-user lock in the writing transaction, so parallel
        # requests cannot slip past the limit.
        await db.fetch("SELECT pg_advisory_xact_lock(hashtext($1))", f"post:{principal.id}")
        recent = await db.fetch(
            "SELECT count(*) FROM shared_posts WHERE author_user_id = $1"
            " AND created_at > now() - interval '1 hour'",
            principal.id,
        )
        if recent[0][0] >= POSTS_PER_HOUR:
            raise RateLimited(f"at most {POSTS_PER_HOUR} posts an hour")
        await db.fetch(
            "INSERT INTO shared_posts (tenant_id, id, author_user_id, body, latitude,"
            " longitude, photo_key, photo_type, status, hold_reasons)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            tenant.id,
            post_id,
            principal.id,
            body,
            data.latitude,
            data.longitude,
            key,
            photo.content_type if photo else None,
            "HELD" if reasons else "PENDING",
            reasons,
        )
    return None


def _require_moderator(tenant: TenantInfo, principal: Principal) -> None:
    if Cap.SHARING_MODERATE not in principal.tenant_caps(tenant.id):
        raise denied(principal, "only operators can moderate posts")


async def _lock(post_id: uuid.UUID) -> dict[str, Any]:
    rows = await db.fetch("SELECT * FROM shared_posts WHERE id = $1 FOR UPDATE", post_id)
    if not rows:
        raise NotFound("post not found", field="id")
    return dict(rows[0])


def _moderator(principal: Principal) -> uuid.UUID | None:
    return principal.id if principal.kind == "user" else None


async def do_approve_post(
    tenant: TenantInfo, principal: Principal, post_id: uuid.UUID, acknowledge_hold: bool
) -> None:
    """PENDING → APPROVED. A HELD post (links, phone numbers) needs acknowledgeHold."""
    _require_moderator(tenant, principal)
    async with db.tenant_tx(tenant.id):
        post = await _lock(post_id)
        if post["status"] in ("APPROVED", "REJECTED"):
            raise Conflict(f"this post is already {post['status'].lower()}", field="id")
        if post["status"] == "HELD" and not acknowledge_hold:
            raise HeldContent(
                "this post contains "
                + " and ".join(r.lower() for r in post["hold_reasons"])
                + "s; approve with acknowledgeHold if that is intended",
                field="acknowledgeHold",
            )
        await db.fetch(
            "UPDATE shared_posts SET status = 'APPROVED', moderated_by = $2,"
            " moderated_at = now() WHERE id = $1",
            post_id,
            _moderator(principal),
        )
        await write_audit(
            "post.approve", principal=principal, tenant_id=tenant.id, target=f"post:{post_id}"
        )
        await webhooks.emit(
            tenant.id, ["SHARED_POST_APPROVED"], post_id, ref={"post_id": str(post_id)}
        )


async def do_reject_post(
    tenant: TenantInfo, principal: Principal, post_id: uuid.UUID, reason: str
) -> None:
    """Reject with a reason; an approved post can be taken down the same way."""
    _require_moderator(tenant, principal)
    reason = " ".join((reason or "").split())
    if not 3 <= len(reason) <= 500:
        raise InvalidInput("the reason must be 3-500 characters", field="reason")
    async with db.tenant_tx(tenant.id):
        post = await _lock(post_id)
        if post["status"] == "REJECTED":
            raise Conflict("this post is already rejected", field="id")
        await db.fetch(
            "UPDATE shared_posts SET status = 'REJECTED', rejection_reason = $2,"
            " moderated_by = $3, moderated_at = now() WHERE id = $1",
            post_id,
            reason,
            _moderator(principal),
        )
        await write_audit(
            "post.reject",
            principal=principal,
            tenant_id=tenant.id,
            target=f"post:{post_id}",
            detail={"reason": reason},
        )


@dataclass
class ConvertInput:
    category_code: str
    title: str
    latitude: float | None = None
    longitude: float | None = None
    urgent: bool = False


async def do_convert_post(
    tenant: TenantInfo,
    principal: Principal,
    post_id: uuid.UUID,
    data: ConvertInput,
    posts: FileStore,
    attachments: FileStore,
    *,
    retry: idempotency.ClientKey | None = None,
) -> Submitted:
    """A report from a post, with the post's author as the reporter (so they can follow
    it) and its photo. The post is linked in the report's own transaction, so one post
    gives at most one report.

    ``retry`` (the moderator's client key, :mod:`jogo.platform.idempotency`): a retry
    with the same key and input answers with the first try's report (``replayed``) and
    writes nothing; other input is ``IdempotencyConflict``."""
    _require_moderator(tenant, principal)
    async with db.tenant_tx(tenant.id):
        earlier = await idempotency.recall(retry) if retry is not None else None
        if earlier is not None:
            return Submitted.of(await stored_report(earlier), None, replayed=True)
        rows = await db.fetch("SELECT * FROM shared_posts WHERE id = $1", post_id)
    if not rows:
        raise NotFound("post not found", field="postId")
    post = dict(rows[0])
    if post["report_id"] is not None:
        raise Conflict("this post is already a report", field="postId")
    latitude = data.latitude if data.latitude is not None else post["latitude"]
    longitude = data.longitude if data.longitude is not None else post["longitude"]
    if latitude is None or longitude is None:
        raise InvalidInput(
            "the post has no location; give latitude and longitude", field="latitude"
        )
    try:
        author = await load_user_principal(post["author_user_id"])
    except Unauthenticated:
        raise Conflict("the post's author is no longer an active user", field="postId") from None
    photos = []
    if post["photo_key"]:
        try:
            photos = [await posts.read(post["photo_key"])]
        except FileNotFoundError:
            log.warning("photo of post %s is missing; converting without it", post_id)

    async def link(report_id: uuid.UUID) -> None:
        earlier = await idempotency.claim(tenant.id, retry, report_id)
        if earlier is not None:
            raise _Replayed(earlier)  # a parallel duplicate made it: roll this one back
        linked = await db.fetch(
            "UPDATE shared_posts SET report_id = $2 WHERE id = $1 AND report_id IS NULL"
            " RETURNING id",
            post_id,
            report_id,
        )
        if not linked:
            raise Conflict("this post is already a report", field="postId")
        await events.record(
            tenant.id,
            report_id,
            "FROM_SHARING",
            public=False,
            actor=events.actor_of(principal),
            data={"post_id": str(post_id)},
        )
        await write_audit(
            "post.convert",
            principal=principal,
            tenant_id=tenant.id,
            target=f"post:{post_id}",
            detail={"report_id": str(report_id)},
        )

    report = ReportInput(
        category_code=data.category_code,
        title=data.title,
        description=post["body"] if len(post["body"]) >= 10 else f"Dari unggahan: {post['body']}",
        latitude=latitude,
        longitude=longitude,
        urgent=data.urgent,
        photos=photos,
    )
    if Cap.REPORTS_SUBMIT not in author.tenant_caps(tenant.id):
        raise Conflict("the post's author is no longer a member of this command", field="postId")
    try:
        return await do_submit_report(tenant, author, report, attachments, on_insert=link)
    except _Replayed as replayed:
        async with db.tenant_tx(tenant.id):
            return Submitted.of(await stored_report(replayed.report_id), None, replayed=True)


class _Replayed(Exception):
    """A parallel duplicate of a conversion committed first: ``report_id`` is its report."""

    def __init__(self, report_id: uuid.UUID):
        super().__init__(str(report_id))
        self.report_id = report_id
