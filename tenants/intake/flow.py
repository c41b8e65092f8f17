"""The conversation itself, without the database: what one message adds to what was
collected, and what to ask next.

A report needs a description (the first text of 10 characters or more; the title is
its first words), a category (the citizen answers the numbered list with a number or a
name) and a place, asked in that order, whatever order they come in:

- a **shared WhatsApp location** sets the place exactly;
- **coordinates in a text** (``-7.98, 112.63``) set it too, on either channel;
- **a place written in words** (the way SMS works) is kept as the report's address and
  the report is put at the command's centre (:func:`~jogo.tenants.intake.queries.
  command_centre`), marked as approximate so operators know to read the address. A
  command with no centre (no jurisdiction, no posts or agencies on the map) asks again,
  for coordinates or a shared location.

Photos (WhatsApp) add their media ids (at most 5); a caption counts as text. "batal" or
"cancel" ends the conversation. Once all three are known the step is ``SUBMITTING``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from jogo.tenants.reports.validation import in_indonesia

CANCEL_WORDS = frozenset({"batal", "cancel", "batalkan"})
MIN_DESCRIPTION = 10
MAX_DESCRIPTION = 5000
TITLE_WORDS = 8
TITLE_MAX = 80
MAX_PHOTOS = 5
MIN_PLACE = 3
MAX_ADDRESS = 400
APPROXIMATE = " (lokasi perkiraan dari teks / approximate, from text)"
COORDINATES = re.compile(r"(-?\d{1,2}\.\d+)\s*[,;/ ]\s*(-?\d{2,3}\.\d+)")


@dataclass(frozen=True)
class Category:
    """An active report category as offered to citizens, in list order."""

    code: str
    name_id: str
    name_en: str


@dataclass(frozen=True)
class State:
    """What a conversation has collected so far (the columns of
    ``intake_conversations``); ``step`` is the question being asked."""

    step: str = "DESCRIPTION"
    locale: str = "id"
    description: str | None = None
    title: str | None = None
    category_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    media_ids: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: dict[str, Any]) -> State:
        """The state held by an ``intake_conversations`` row."""
        return cls(
            step=row["step"],
            locale=row["locale"],
            description=row["description"],
            title=row["title"],
            category_code=row["category_code"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            address=row["address"],
            media_ids=tuple(row["media_ids"] or ()),
        )


@dataclass(frozen=True)
class Reply:
    """A message back to the citizen: a template of
    :data:`~jogo.tenants.notifications.templates.TEMPLATES` and its parameters."""

    template: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """What :func:`apply` needs of one inbound message (see ``inbound.Inbound``)."""

    channel: str
    kind: str
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    media_id: str | None = None


def title_of(description: str) -> str:
    """The report's title: the description's first :data:`TITLE_WORDS` words (with "…"
    when there are more), at most :data:`TITLE_MAX` characters."""
    words = description.split()
    title = " ".join(words[:TITLE_WORDS]) + (" …" if len(words) > TITLE_WORDS else "")
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 2].rstrip() + " …"
    return title if len(title) >= 5 else description[:TITLE_MAX]


def match_category(text: str, categories: list[Category]) -> Category | None:
    """The category a citizen's answer names: its number in the list (1-based), its
    code, its Indonesian or English name (any case), or a unique part of a name of at
    least 3 letters. None when nothing, or more than one, matches."""
    answer = " ".join(text.lower().split()).strip(" .!")
    if answer.isdigit():
        index = int(answer)
        return categories[index - 1] if 1 <= index <= len(categories) else None
    for c in categories:
        if answer in (c.code.lower(), c.name_id.lower(), c.name_en.lower()):
            return c
    if len(answer) < 3:
        return None
    hits = [c for c in categories if answer in c.name_id.lower() or answer in c.name_en.lower()]
    return hits[0] if len(hits) == 1 else None


def category_list(categories: list[Category], locale: str) -> str:
    """The numbered list the citizen answers: ``1. Kriminalitas`` one a line."""
    return "\n".join(
        f"{n}. {c.name_en if locale == 'en' else c.name_id}" for n, c in enumerate(categories, 1)
    )


def coordinates_in(text: str) -> tuple[float, float] | None:
    """``(latitude, longitude)`` written in ``text`` (``-7.98, 112.63``) when they lie
    in Indonesia, else None."""
    for found in COORDINATES.finditer(text):
        latitude, longitude = float(found.group(1)), float(found.group(2))
        if in_indonesia(latitude, longitude):
            return latitude, longitude
    return None


def is_cancel(message: Message) -> bool:
    """Whether the message is "batal" / "cancel" (nothing else in it)."""
    return message.kind == "TEXT" and message.text.strip(" .!").lower() in CANCEL_WORDS


def _describe(state: State, text: str) -> State:
    description = text.strip()[:MAX_DESCRIPTION]
    return replace(state, description=description, title=title_of(description))


def _place(state: State, message: Message, centre: tuple[float, float] | None) -> State | None:
    """The state with the place the message gives, or None when it gives none usable."""
    if message.kind == "LOCATION":
        if message.latitude is None or message.longitude is None:
            return None
        if not in_indonesia(message.latitude, message.longitude):
            return None
        address = message.text[:MAX_ADDRESS] or None
        return replace(
            state, latitude=message.latitude, longitude=message.longitude, address=address
        )
    text = " ".join(message.text.split())
    point = coordinates_in(text)
    if point is not None:
        return replace(state, latitude=point[0], longitude=point[1], address=text[:MAX_ADDRESS])
    if len(text) >= MIN_PLACE and centre is not None:
        return replace(
            state, latitude=centre[0], longitude=centre[1], address=text[:MAX_ADDRESS] + APPROXIMATE
        )
    return None


def _missing(state: State) -> str | None:
    if not state.description:
        return "DESCRIPTION"
    if not state.category_code:
        return "CATEGORY"
    if state.latitude is None or state.longitude is None:
        return "PLACE"
    return None


def _ask(step: str, channel: str, categories: list[Category], locale: str, again: bool) -> Reply:
    if step == "DESCRIPTION":
        return Reply("intake_description_short" if again else "intake_ask_description")
    if step == "CATEGORY":
        listed = {"categories": category_list(categories, locale)}
        return Reply("intake_category_unknown" if again else "intake_ask_category", listed)
    if again:
        return Reply(f"intake_place_unknown_{channel.lower()}")
    return Reply(f"intake_ask_place_{channel.lower()}")


def apply(
    state: State,
    message: Message,
    categories: list[Category],
    centre: tuple[float, float] | None = None,
) -> tuple[State, Reply | None]:
    """The conversation after ``message``, and what to answer. ``categories``: the
    command's active categories in list order; ``centre``: where a place written in
    words is put (``None``: ask again). The step becomes ``CANCELLED`` (answer
    ``intake_cancelled``) or ``SUBMITTING`` (no answer yet: the report's own
    ``report_received`` follows) or the next question."""
    if is_cancel(message):
        return replace(state, step="CANCELLED"), Reply("intake_cancelled")
    new, again = state, False
    photo = message.media_id if message.kind == "IMAGE" else None
    if photo and photo not in new.media_ids and len(new.media_ids) < MAX_PHOTOS:
        new = replace(new, media_ids=(*new.media_ids, photo))
    if message.kind == "LOCATION":
        placed = _place(new, message, centre)
        new, again = (placed, False) if placed is not None else (new, state.step == "PLACE")
    elif message.text:
        step = _missing(new)
        if step == "DESCRIPTION":
            if len(message.text.strip()) >= MIN_DESCRIPTION:
                new = _describe(new, message.text)
            else:
                # A first "halo" is greeted with the question; a second short one is
                # told what is missing.
                again = state != State(locale=state.locale)
        elif step == "CATEGORY" and message.kind == "TEXT":
            chosen = match_category(message.text, categories)
            if chosen is not None:
                new = replace(new, category_code=chosen.code)
            again = chosen is None
        elif step == "PLACE" and message.kind == "TEXT":
            placed = _place(new, message, centre)
            new, again = (placed, False) if placed is not None else (new, True)
    step = _missing(new)
    if step is None:
        return replace(new, step="SUBMITTING"), None
    return replace(new, step=step), _ask(step, message.channel, categories, new.locale, again)
