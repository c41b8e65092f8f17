"""``mail``: e-mail through the command's SMTP server (stdlib ``smtplib`` in a thread).

The server's host is resolved once and every address checked against the egress rule
(:func:`jogo.platform.egress.resolve_checked`); the connection goes to a checked
address while TLS still verifies the certificate for the host name (no second lookup
for DNS rebinding to use). ``security``: ``STARTTLS`` (default, port 587), ``TLS``
(implicit, port 465) or ``NONE`` (a relay on a trusted network). Every socket
operation has the timeout. The Message-ID is the notification's, the same on every
retry.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from jogo.platform.egress import DestinationRefused, UnresolvableHost, resolve_checked
from jogo.workers.connectors.base import DeliveryFailed


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to a checked address; ``_host`` (for STARTTLS's certificate check) stays the
    name the command configured."""

    def __init__(self, address: str, **options: Any) -> None:
        self._address = address
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return socket.create_connection((self._address, port), timeout)


class _PinnedSMTPS(smtplib.SMTP_SSL):
    """Implicit TLS to a checked address, the certificate checked for the host name."""

    def __init__(self, address: str, **options: Any) -> None:
        self._address = address
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        raw = socket.create_connection((self._address, port), timeout)
        # SMTP.connect() sets _host before it asks for the socket (typeshed omits it).
        return self.context.wrap_socket(raw, server_hostname=self._host)  # type: ignore[attr-defined]


def build_message(sender: str, to: str, subject: str, text: str, message_id: str) -> EmailMessage:
    """A plain-text UTF-8 e-mail from ``sender`` to ``to``. The subject is one line
    (line breaks in it, from a command's name, become spaces: never a header of its
    own, and never a failed delivery)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text)
    return message


def _deliver(
    addresses: list[str],
    config: dict[str, Any],
    password: str,
    message: EmailMessage,
    seconds: float,
) -> None:
    security = config.get("security", "STARTTLS")
    context = ssl.create_default_context()
    # No getfqdn(): a slow reverse lookup would eat the timeout before the first byte.
    options: dict[str, Any] = {
        "host": config["host"],
        "port": int(config["port"]),
        "local_hostname": socket.gethostname() or "localhost",
        "timeout": seconds,
    }
    failure: Exception | None = None
    for address in addresses:  # each one checked; the first that answers is used
        smtp: smtplib.SMTP
        try:
            if security == "TLS":
                smtp = _PinnedSMTPS(address, context=context, **options)
            else:
                smtp = _PinnedSMTP(address, **options)
        except OSError as exc:
            failure = exc
            continue
        with smtp:
            smtp.ehlo()
            if security == "STARTTLS":
                smtp.starttls(context=context)
                smtp.ehlo()
            if config.get("username"):
                smtp.login(config["username"], password)
            smtp.send_message(message)
        return
    assert failure is not None  # resolve_checked never returns an empty list
    raise failure


async def send(
    config: dict[str, Any],
    password: str,
    to: str,
    subject: str,
    text: str,
    *,
    message_id: str,
    allow_private: bool,
    seconds: float,
) -> None:
    """Send one plain-text e-mail to ``to`` from ``config["sender"]`` through
    ``config["host"]:config["port"]`` (``security``, ``username``; ``password`` the
    gateway's secret), each socket operation bounded by ``seconds``. Raises
    :class:`DeliveryFailed` for a refused or unresolvable host, a connection or TLS
    failure, or an SMTP error (the server's reply code, never more)."""
    host, port = config["host"], int(config["port"])
    try:
        checked = await resolve_checked(host, port, allow_private=allow_private)
    except DestinationRefused as exc:
        raise DeliveryFailed(f"destination refused: {exc.message}") from None
    except UnresolvableHost as exc:
        raise DeliveryFailed(exc.message) from None
    message = build_message(config["sender"], to, subject, text, message_id)
    try:
        await asyncio.to_thread(
            _deliver, [str(a) for a in checked], config, password, message, seconds
        )
    except smtplib.SMTPResponseException as exc:
        raise DeliveryFailed(f"SMTP {exc.smtp_code}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        raise DeliveryFailed(f"SMTP recipient refused {codes}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
