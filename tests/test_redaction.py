"""The text masking of national views on its own (issue 13 part 3): the reporter's own
name, address and phone in any case, spacing, punctuation and line breaks; street
addresses; phone numbers found by phonenumbers. The database layer in front of it is
tested through the national schema in test_oversight.py."""

from __future__ import annotations

import pytest

from jogo.tenants.oversight.redaction import redact

OWN = {"name": "Budi Santoso", "phone": "+6281234567890", "address": "Jl. Kawi No. 17, Klojen"}


def test_the_issue_example():
    text = "Saya BUDI SANTOSO, tetangga saya Pak Budi santoso juga lihat."
    assert redact(text, **OWN) == "Saya [nama], tetangga saya Pak [nama] juga lihat."


@pytest.mark.parametrize(
    "written",
    [
        "budi santoso",
        "BUDI   SANTOSO",
        "Budi\nSantoso",
        "Budi\r\n\tSantoso",
        "Budi.-.Santoso",
        "budi_santoso",
        "BudiSantoso",
    ],
)
def test_own_name_in_any_form(written):
    assert redact(f"Pelapor: {written}.", **OWN) == "Pelapor: [nama]."


def test_other_words_that_contain_the_name_stay():
    assert redact("Budiman Santosoa datang", **OWN) == "Budiman Santosoa datang"


@pytest.mark.parametrize(
    "written",
    [
        "jl. kawi no. 17, klojen",
        "JL KAWI NO 17 KLOJEN",
        "Jl.\nKawi\nNo.17,\nKlojen",
        "Jalan Ijen No. 5",
        "Gg. Mawar III no.2",
        "JALAN BASUKI RAHMAT 12",
        "jln. Soekarno-Hatta #9",
        "Gang Buntu 12A",
        "Jl. A. Yani 4/6",
    ],
)
def test_addresses_in_any_form(written):
    assert redact(f"Di {written} tadi.", **OWN) == "Di [alamat] tadi."


def test_a_street_without_a_number_stays():
    assert redact("Jalan Ijen macet parah", **OWN) == "Jalan Ijen macet parah"


@pytest.mark.parametrize(
    "written",
    [
        "0812 3456 7890",
        "0812-3456-7890",
        "+62 812-3456-7890",
        "62 812 3456 7890",
        "(0812) 3456 7890",
        "+60 12-345 6789",
        "(0341) 551234",
    ],
)
def test_phones_in_any_form(written):
    assert redact(f"Hubungi {written} segera", **OWN) == "Hubungi [telepon] segera"


def test_emails_and_long_numbers():
    text = "Surel budi.s@example.co.id, NIK 3573014509870002"
    assert redact(text, **OWN) == "Surel [email], NIK [angka]"


def test_without_reporter_values_only_patterns_apply():
    text = "Budi Santoso di Jl. Kawi No. 17 (0812-3456-7890)"
    assert redact(text, name=None, phone=None, address=None) == (
        "Budi Santoso di [alamat] ([telepon])"
    )
