"""Committed SDL: ``python -m jogo.graphql.sdl`` rewrites ``graphql/schema/*.graphql``;
a test fails when the code and the committed files differ."""

from __future__ import annotations

import sys
from pathlib import Path

from jogo.graphql.schemas import full_tenant_schema, national_schema, platform_schema

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"


def current_sdl() -> dict[str, str]:
    """The SDL the code builds now, keyed by file name under ``graphql/schema/``: the tenant schema
    with every module on, the national and the platform schema, each ending in a newline.
    """
    return {
        "tenant.graphql": full_tenant_schema().as_str() + "\n",
        "national.graphql": national_schema().as_str() + "\n",
        "platform.graphql": platform_schema().as_str() + "\n",
    }


def main() -> int:
    """Rewrite the committed SDL files from :func:`current_sdl`; returns the exit status 0."""
    for name, sdl in current_sdl().items():
        (SCHEMA_DIR / name).write_text(sdl, encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
