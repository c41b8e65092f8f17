"""Counted limits of the reports domain, per tenant, atomic in the database
(:mod:`jogo.platform.ratelimit`). The panic button counts its own reports instead
(:mod:`jogo.tenants.reports.sos`)."""

from __future__ import annotations

import uuid

from jogo.platform.ratelimit import Limit

# Anonymous reports per client address: one address sent 30 urgent reports in 15 s, and
# every one reached the operators' urgent feed. Signed-in citizens are not limited here.
ANONYMOUS_BY_CLIENT = Limit(
    "anonymous-report",
    10,
    10 * 60,
    "Terlalu banyak laporan anonim dari alamat ini; coba lagi dalam {minutes} menit, atau"
    " masuk dengan akun. / Too many anonymous reports from this address; try again in"
    " {minutes} min, or sign in.",
)
# A tracking PIN has 10^8 values: a few guesses a minute per caller and per ticket.
TRACK_BY_CLIENT = Limit("track-client", 30, 60)
TRACK_BY_TICKET = Limit("track-ticket", 10, 60)


def per_tenant(tenant_id: uuid.UUID, value: str | None) -> str:
    """The key of ``value`` within one tenant (``None``: the peer was not known)."""
    return f"{tenant_id}:{value}"
