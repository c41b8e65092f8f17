"""The record of processing as one readable HTML page (Bahasa Indonesia first, English
beside), for download and print. Every value is escaped: agency and key names are typed by
people."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = (
    "body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.4}"
    "table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}"
    "th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    ".en{color:#555;font-style:italic}"
)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _both(pair: dict[str, str]) -> str:
    return f'{_e(pair["id"])}<br><span class="en" lang="en">{_e(pair["en"])}</span>'


def _table(headers: list[tuple[str, str]], rows: list[list[str]]) -> str:
    head = "".join(f'<th>{_e(i)}<br><span class="en">{_e(en)}</span></th>' for i, en in headers)
    if not rows:
        rows = [["—"] * len(headers)]
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(record: dict[str, Any]) -> str:
    """The page of a record made by :func:`jogo.tenants.processing.record.generate`."""
    c = record["controller"]
    parts = [
        "<!doctype html>",
        '<html lang="id"><head><meta charset="utf-8">',
        f"<title>Rekaman Pemrosesan Data Pribadi — {_e(c['name'])}</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Rekaman Kegiatan Pemrosesan Data Pribadi"
        '<br><span class="en">Record of Processing Activities</span></h1>',
        f"<p>Pengendali / Controller: <strong>{_e(c['name'])}</strong> ({_e(c['slug'])}),"
        f" Polda {_e(c['poldaCode'])}, {_e(c['regionCode'])}, {_e(c['timeZone'])}</p>",
        f"<p>{_both(record['law'])}</p>",
        f"<p>Dibuat / Generated: {_e(record['generatedAt'])}</p>",
        '<h2>Kegiatan pemrosesan <span class="en">Processing activities</span></h2>',
    ]
    rows = []
    for a in record["activities"]:
        rows.append(
            [
                _both(a["name"]),
                _both(a["purpose"]),
                "<br>".join(_both(b) for b in a["lawfulBasis"]),
                "<br>".join(_both(d) for d in a["dataCategories"]),
                "<br>".join(_both(s) for s in a["subjects"]),
                _both(a["retention"]),
                _e(", ".join(a["recipients"]) or "—"),
                _e("—" if a["records"] is None else a["records"]),
            ]
        )
    parts.append(
        _table(
            [
                ("Kegiatan", "Activity"),
                ("Tujuan", "Purpose"),
                ("Dasar pemrosesan", "Lawful basis"),
                ("Data pribadi", "Personal data"),
                ("Subjek data", "Data subjects"),
                ("Retensi", "Retention"),
                ("Penerima", "Recipients"),
                ("Jumlah data", "Records held"),
            ],
            rows,
        )
    )
    r = record["recipients"]
    parts.append('<h2>Penerima <span class="en">Recipients</span></h2><ul>')
    parts.extend(f"<li>{_e(k)}: {_both(v)}</li>" for k, v in r["groups"].items())
    parts.append('</ul><h3>Instansi <span class="en">Agencies</span></h3>')
    parts.append(
        _table(
            [
                ("Kode", "Code"),
                ("Nama", "Name"),
                ("Jenis", "Kind"),
                ("Saluran", "Connector"),
                ("Host", "Host"),
                ("Aktif", "Active"),
            ],
            [
                [
                    _e(a["code"]),
                    _e(a["name"]),
                    _e(a["kind"]),
                    _e(a["connector"]),
                    _e(a["host"] or "—"),
                    "ya / yes" if a["active"] else "tidak / no",
                ]
                for a in r["agencies"]
            ],
        )
    )
    parts.append('<h3>Kunci API integrator <span class="en">Integrator API keys</span></h3>')
    parts.append(
        _table(
            [("Nama", "Name"), ("Awalan", "Prefix"), ("Cakupan", "Scopes"), ("Status", "Status")],
            [
                [_e(k["name"]), _e(k["prefix"]), _e(", ".join(k["scopes"])), _e(k["status"])]
                for k in r["apiKeys"]
            ],
        )
    )
    parts.append('<h3>Langganan webhook <span class="en">Webhook subscriptions</span></h3>')
    parts.append(
        _table(
            [
                ("Host", "Host"),
                ("Peristiwa", "Events"),
                ("Aktif", "Enabled"),
                ("Identitas pelapor", "Reporter identity"),
            ],
            [
                [
                    _e(h["host"]),
                    _e(", ".join(h["eventTypes"])),
                    "ya / yes" if h["enabled"] else "tidak / no",
                    "ya / yes" if h["reporterIdentity"] else "tidak / no",
                ]
                for h in r["webhookSubscriptions"]
            ],
        )
    )
    parts.append('<h3>Komando lain <span class="en">Other commands</span></h3>')
    parts.append(
        _table(
            [("Komando", "Command"), ("Laporan dialihkan", "Reports transferred")],
            [
                [_e(f"{m['name']} ({m['slug']})"), _e(m["reportsTransferred"])]
                for m in r["otherCommands"]
            ],
        )
    )
    parts.append(
        '<h2>Pengiriman ke pihak ketiga <span class="en">Transfers</span></h2>'
        "<p>Luar negeri: perlu penilaian menurut Pasal 56 UU PDP."
        ' <span class="en">Abroad: to be assessed under Art. 56.</span></p>'
    )
    parts.append(
        _table(
            [("Jenis", "Kind"), ("Host", "Host"), ("Aktif", "Enabled"), ("Luar negeri", "Abroad")],
            [
                [
                    _e(t["kind"]),
                    _e(t["host"] or "—"),
                    "ya / yes" if t["enabled"] else "tidak / no",
                    "ya / yes" if t["abroad"] else "tidak diketahui / not known",
                ]
                for t in record["transfers"]
            ],
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)
