"""``submitReport(input.notify)``: the channel a reporter (an anonymous one above all)
leaves on the report they make, checked before the report is, written in its
transaction."""

from __future__ import annotations

import uuid

from jogo.graphql.notifications.types import NotifyInput
from jogo.platform.errors import InputErrors, InvalidInput
from jogo.tenants.notifications import actions, channels
from jogo.tenants.reports.intake import OnInsert
from jogo.tenants.reports.validation import ReportInput, clean


async def report_channel(
    tenant_id: uuid.UUID,
    notify: NotifyInput | None,
    data: ReportInput,
    *,
    allow_private_egress: bool,
) -> OnInsert | None:
    """None without ``notify``; else the hook that adds the channel to the new report
    inside its transaction (``do_submit_report(on_insert=…)``). Checked first, so a bad
    channel makes nothing: ``INVALID_INPUT`` on ``notify.channel``, ``notify.address``
    or ``notify.locale`` (with every bad field of the report itself beside it),
    ``GATEWAY_UNAVAILABLE`` on ``notify.channel``."""
    if notify is None:
        return None
    try:
        channel, address, locale = await channels.check_new_channel(
            tenant_id,
            notify.channel.value,
            notify.address,
            notify.locale,
            allow_private_egress=allow_private_egress,
            prefix="notify",
        )
    except InvalidInput as exc:
        try:
            clean(data)
        except InputErrors as others:
            raise InputErrors([exc, *others.errors]) from None
        raise

    async def add(report_id: uuid.UUID) -> None:
        await actions.do_add_channel(
            tenant_id, channel=channel, address=address, locale=locale, report_id=report_id
        )

    return add
