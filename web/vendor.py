"""Re-vendor the browser libraries the web clients use, from the npm registry.

Run by a developer (never at install or run time): ``python web/vendor.py``. Each entry
of ``PACKAGES`` is fetched with ``npm pack <name>@<version>`` (the exact, pinned
version), and the listed files are copied into ``web/vendor/<name>/`` together with the
package's licence. ``web/vendor/VERSIONS.json`` records what is vendored, with each
file's SHA-256; ``tests/test_web_assets.py`` checks the folder against it.

Needs ``npm`` on the PATH and the npm registry. Exit 1 with one line when a package or a
listed file is missing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"

# name -> (version, files inside the package to copy, relative to ``package/``)
PACKAGES: dict[str, tuple[str, list[str]]] = {
    "leaflet": (
        "1.9.4",
        [
            "dist/leaflet.js",
            "dist/leaflet.css",
            "dist/images/layers.png",
            "dist/images/layers-2x.png",
            "dist/images/marker-icon.png",
            "dist/images/marker-icon-2x.png",
            "dist/images/marker-shadow.png",
        ],
    ),
    # GraphiQL (the /graphql pages): its UMD bundle expects window.React and
    # window.ReactDOM, so React 18's UMD production builds come with it.
    "graphiql": ("3.8.3", ["graphiql.min.js", "graphiql.min.css"]),
    "react": ("18.3.1", ["umd/react.production.min.js"]),
    "react-dom": ("18.3.1", ["umd/react-dom.production.min.js"]),
}
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vendor_one(name: str, version: str, files: list[str], work: Path) -> dict[str, object]:
    """Fetch ``name@version`` and copy ``files`` and its licence into ``vendor/name``."""
    packed = subprocess.run(
        ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(work)],
        capture_output=True,
        text=True,
        check=False,
    )
    if packed.returncode != 0:
        raise SystemExit(f"vendor: npm pack {name}@{version} failed: {packed.stderr.strip()}")
    tarball = work / packed.stdout.strip().splitlines()[-1]
    unpacked = work / name.replace("/", "_")
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked, filter="data")
    root = unpacked / "package"
    target = VENDOR / name
    shutil.rmtree(target, ignore_errors=True)
    copied: dict[str, str] = {}
    licence = next((root / n for n in LICENCES if (root / n).exists()), None)
    if licence is None:
        raise SystemExit(f"vendor: {name}@{version} ships no licence file")
    for rel in [*files, licence.name]:
        source = root / rel
        if not source.exists():
            raise SystemExit(f"vendor: {name}@{version} has no {rel}")
        dest = target / Path(rel).name if rel != licence.name else target / "LICENSE"
        if "/images/" in rel:
            dest = target / "images" / Path(rel).name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        copied[str(dest.relative_to(target))] = _sha256(dest)
    return {"version": version, "files": copied}


def main() -> int:
    """Vendor every package of ``PACKAGES`` and write ``VERSIONS.json``."""
    VENDOR.mkdir(exist_ok=True)
    manifest: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, files) in sorted(PACKAGES.items()):
            manifest[name] = vendor_one(name, version, files, Path(tmp))
    (VENDOR / "VERSIONS.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"vendored {len(manifest)} packages into {VENDOR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
