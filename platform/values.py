"""Values PostgreSQL cannot take, found before they reach it.

- Text: PostgreSQL ``text`` and ``jsonb`` hold neither NUL (U+0000) nor unpaired
  surrogates (asyncpg cannot even encode the latter).
- Floats: a float that is not zero but smaller than ``MIN_FLOAT`` underflows
  PostgreSQL's float arithmetic (the distance formulas square differences of
  coordinates), and once stored it breaks every later query near it; NaN and the
  infinities are no coordinate either. Every float a caller gives here is a coordinate
  or metres, where 1e-7 is about a centimetre.

Whatever takes values from outside checks them here: the GraphQL schemas for every
literal and variable (``jogo.graphql.guard``), and the routes and imports that read
JSON or CSV themselves.
"""

from __future__ import annotations

import math
from typing import Any

from jogo.platform.errors import InvalidInput

MIN_FLOAT = 1e-7
MAX_DEPTH = 32  # nested objects and lists; the deepest input type needs about 6
NUL_MESSAGE = (
    "Teks tidak boleh berisi karakter NUL (U+0000). / Text may not contain NUL characters."
)
UNICODE_MESSAGE = "Teks harus Unicode yang sah. / Text must be valid Unicode."
DEPTH_MESSAGE = (
    f"Data bersarang lebih dari {MAX_DEPTH} tingkat. / Values nest more than {MAX_DEPTH} deep."
)
FINITE_MESSAGE = "Angka harus terhingga. / A number must be finite."
FLOAT_MESSAGE = (
    f"Angka selain 0 harus minimal {MIN_FLOAT:g} (bulatkan ke 7 desimal). /"
    f" A number other than 0 must be at least {MIN_FLOAT:g} in size (round to 7 decimals)."
)


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # an unpaired surrogate
        return UNICODE_MESSAGE
    return None


def float_problem(value: float) -> str | None:
    """Why ``value`` cannot be used in PostgreSQL float arithmetic, or None."""
    if not math.isfinite(value):
        return FINITE_MESSAGE
    return FLOAT_MESSAGE if value != 0 and abs(value) < MIN_FLOAT else None


def check_values(value: Any, field: str | None = None) -> None:
    """Raise :class:`InvalidInput` (naming ``field``) if any string in ``value`` (a
    JSON-like tree of dicts, lists and scalars; keys count too) cannot be stored, any
    float cannot be computed with, or the tree nests deeper than ``MAX_DEPTH``.
    Other values pass. Iterative, so no input can exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str | float):
            problem = text_problem(item) if isinstance(item, str) else float_problem(item)
            if problem:
                raise InvalidInput(problem, field=field)
        elif isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise InvalidInput(DEPTH_MESSAGE, field=field)
            children = (
                [x for pair in item.items() for x in pair] if isinstance(item, dict) else item
            )
            stack.extend((child, depth + 1) for child in children)
