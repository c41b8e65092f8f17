"""Every typed error the API can answer is shown in Bahasa Indonesia (and English) by its
code, and a code the page does not know still reads sensibly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("platform", "tenants", "graphql", "workers")
I18N = ROOT / "web" / "common" / "i18n.js"


def api_error_codes() -> set[str]:
    """The ``code = "X"`` of every error class in the product, and the codes the HTTP and
    WebSocket layers write themselves."""
    codes: set[str] = set()
    for folder in PRODUCT:
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            codes.update(re.findall(r'^\s+code = "([A-Z_]+)"', text, flags=re.M))
            codes.update(re.findall(r'error_body\(\s*"([A-Z_]+)"', text))
    return codes


def dictionary(lang: str) -> set[str]:
    text = I18N.read_text(encoding="utf-8")
    start = text.index(f"  {lang}: {{", text.index("extend({"))
    end = text.index("\n  },", start)
    return set(re.findall(r'"err\.([A-Z_0-9]+)"', text[start:end]))


def test_every_api_error_code_has_both_languages():
    codes = api_error_codes()
    assert {
        "INVALID_INPUT",
        "ILLEGAL_TRANSITION",
        "RATE_LIMITED",
        "UNAVAILABLE",
        "INTERNAL",
    } <= codes
    for lang in ("id", "en"):
        missing = codes - dictionary(lang)
        assert not missing, f"{lang}: no text for {sorted(missing)}"


async def test_the_page_speaks_the_users_language(page, live_server):
    await page.goto(f"http://{live_server}/platform/")
    await page.get_by_label("Nama pengguna").wait_for()
    texts = await page.evaluate(
        """async () => {
          const i18n = await import('/web/common/i18n.js');
          const out = {
            known: i18n.errorText({code: 'ILLEGAL_TRANSITION', message: 'cannot go from X to Y'}),
            unknown: i18n.errorText({code: 'SOMETHING_NEW', message: 'a new thing'}),
            empty: i18n.errorText(null),
          };
          i18n.setLang('en');
          out.known_en = i18n.errorText({code: 'ILLEGAL_TRANSITION', message: 'cannot go from X to Y'});
          i18n.setLang('id');
          return out;
        }"""
    )
    assert texts["known"] == "Perubahan status ini tidak diperbolehkan pada tahap sekarang."
    assert "SOMETHING_NEW" in texts["unknown"] and texts["unknown"].startswith("Terjadi kesalahan")
    assert texts["empty"] == "Terjadi kesalahan pada server."
    assert texts["known_en"].startswith("This status change is not allowed")
    assert "cannot go from X to Y" in texts["known_en"]  # the API's own words, in English mode
