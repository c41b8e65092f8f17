"""Read the selection set of ``reports`` / ``report`` once (graphql-core's AST, not
strawberry's converted copy, which cost a list request 4 %) and name the relations to
fetch with the rows (:class:`~jogo.tenants.reports.planned.Relations`).

Fragments and inline fragments are flattened; a field under ``@skip`` or ``@include`` is
planned as if it were asked (fetching a column too many is cheaper than a second round
trip). Relations the plan does not cover (the unit, the reporter, cameras) keep their
DataLoaders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from strawberry.types import Info

from graphql import FieldNode, FragmentSpreadNode, InlineFragmentNode
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


def _fields(selections: Iterable[Any], fragments: dict[str, Any]) -> Iterator[FieldNode]:
    """The field nodes among ``selections``, fragments and inline fragments flattened."""
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set.selections, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _fields(fragment.selection_set.selections, fragments)


def _under(selections: Iterable[Any], name: str, fragments: dict[str, Any]) -> list[Any]:
    """The selections of every field called ``name`` among ``selections``."""
    found: list[Any] = []
    for field in _fields(selections, fragments):
        if field.name.value == name and field.selection_set is not None:
            found.extend(field.selection_set.selections)
    return found


def relations_of(
    report_selections: Iterable[Any], fragments: dict[str, Any], *, total: bool = False
) -> Relations:
    """The relations asked for on a ``Report`` selection (graphql-core AST nodes)."""
    names = {f.name.value for f in _fields(report_selections, fragments)}
    return Relations(total=total, **{FIELDS[n]: True for n in names if n in FIELDS})


def _top(info: Info[Any, Any]) -> tuple[list[Any], dict[str, Any]]:
    raw = info._raw_info
    selections = [
        s for node in raw.field_nodes if node.selection_set for s in node.selection_set.selections
    ]
    return selections, raw.fragments


def plan_connection(info: Info[Any, Any]) -> Relations:
    """Relations for a ``reports`` connection: under ``edges { node }``, plus
    ``totalCount``."""
    top, fragments = _top(info)
    nodes = _under(_under(top, "edges", fragments), "node", fragments)
    total = any(f.name.value == "totalCount" for f in _fields(top, fragments))
    return relations_of(nodes, fragments, total=total)


def plan_report(info: Info[Any, Any]) -> Relations:
    """Relations for a single ``report``."""
    top, fragments = _top(info)
    return relations_of(top, fragments)
