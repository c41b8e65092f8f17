"""The web clients' files: vendored libraries match their manifest and carry licences;
pages load nothing from outside and no inline script; our own modules never write HTML
from text (no innerHTML), so what a citizen typed can never become markup."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parent.parent / "web"
OWN = [p for p in WEB.rglob("*.js") if "vendor" not in p.relative_to(WEB).parts]


def test_vendored_files_match_the_manifest_and_carry_licences():
    manifest = json.loads((WEB / "vendor" / "VERSIONS.json").read_text())
    assert "leaflet" in manifest
    on_disk = {
        p.relative_to(WEB / "vendor").as_posix()
        for p in (WEB / "vendor").rglob("*")
        if p.is_file() and p.name != "VERSIONS.json"
    }
    listed = set()
    for name, entry in manifest.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", entry["version"]), name
        assert "LICENSE" in entry["files"], f"{name} has no licence"
        for rel, digest in entry["files"].items():
            path = WEB / "vendor" / name / rel
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name}/{rel} changed"
            listed.add(f"{name}/{rel}")
    assert on_disk == listed, f"unlisted: {on_disk - listed}, missing: {listed - on_disk}"


def test_pages_load_only_from_this_server_and_inline_nothing():
    pages = list(WEB.rglob("index.html"))
    assert len(pages) >= 3
    for page in pages:
        text = page.read_text()
        for ref in re.findall(r'(?:src|href)="([^"]+)"', text):
            # /web/ assets, or a plain name beside the page (the citizen app's manifest,
            # /t/{slug}/manifest.webmanifest): both from this server.
            assert ref.startswith("/web/") or re.fullmatch(r"[a-z][a-z0-9.]*", ref), (
                f"{page}: {ref}"
            )
        for script in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in script, f"{page}: inline script {script}"
        assert " style=" not in text and "<style" not in text, page
        assert "{{config}}" in text


def test_our_modules_write_text_never_markup():
    assert OWN
    for module in OWN:
        text = module.read_text()
        for banned in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ):
            assert banned not in text, f"{module.relative_to(WEB)} uses {banned}"
        assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|www\.w3\.org/2000/svg)", text), (
            f"{module} names an outside URL"
        )


def test_maps_are_removed_through_remove_map():
    """Leaflet's map.remove() on a canvas map can leave a redraw that throws a frame later;
    every view removes its map with common/map.js removeMap()."""
    for module in OWN:
        if module.relative_to(WEB).as_posix() == "common/map.js":
            continue
        assert not re.search(r"\bmap\.remove\(\)", module.read_text()), module.relative_to(WEB)
