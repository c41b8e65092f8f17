"""Read the selection set of ``reports`` / ``report`` once and name the relations to fetch
with the rows (:class:`~jogo.tenants.reports.planned.Relations`).

Fragments and inline fragments are flattened; a field under ``@skip`` or ``@include`` is
planned as if it were asked (fetching a column too many is cheaper than a second round
trip). Relations the plan does not cover (the unit, the reporter, cameras) keep their
DataLoaders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from jogo.tenants.reports.planned import Relations

# GraphQL field of Report → Relations attribute.
FIELDS = {
    "category": "category",
    "assignedOfficer": "officer",
    "lastEvent": "last_event",
    "latestDispatch": "latest_dispatch",
    "timeline": "timeline",
    "attachments": "attachments",
    "dispatches": "dispatches",
}


def _fields(selections: Iterable[Any]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:  # FragmentSpread, InlineFragment
            yield from _fields(selection.selections)


def _under(selections: Iterable[Any], name: str) -> list[Any]:
    """The selections of every field called ``name`` among ``selections``."""
    found: list[Any] = []
    for field in _fields(selections):
        if field.name == name:
            found.extend(field.selections)
    return found


def relations_of(report_selections: Iterable[Any], *, total: bool = False) -> Relations:
    """The relations asked for on a ``Report`` selection."""
    asked = {FIELDS[f.name] for f in _fields(report_selections) if f.name in FIELDS}
    return Relations(total=total, **{name: True for name in asked})


def plan_connection(info: Info[Any, Any]) -> Relations:
    """Relations for a ``reports`` connection: under ``edges { node }``, plus
    ``totalCount``."""
    top = info.selected_fields[0].selections
    nodes = _under(_under(top, "edges"), "node")
    total = any(f.name == "totalCount" for f in _fields(top))
    return relations_of(nodes, total=total)


def plan_report(info: Info[Any, Any]) -> Relations:
    """Relations for a single ``report``."""
    return relations_of(info.selected_fields[0].selections)
