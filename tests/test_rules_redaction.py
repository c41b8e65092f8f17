"""National redaction, pinned at its boundaries (issue 15, item 1).

The rules come from the issue texts (issue 13 part 3, issue 15: "digit runs of exactly
8" is the threshold: a run of 8 digits is masked, a run of 7 is not, a 16-digit NIK
is) and the module's own contract (tenants/oversight/redaction.py). Every expected value
is written out here by hand: pure functions, no database.
"""

from __future__ import annotations

import pytest

from jogo.tenants.oversight.redaction import redact

OWN = {"name": "Budi Santoso", "phone": "+6281234567890", "address": "Jl. Kawi No. 17, Klojen"}
NONE: dict[str, str | None] = {"name": None, "phone": None, "address": None}


# --- digit runs: 8 is the threshold -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kode 1234567 ok", "kode 1234567 ok"),  # 7 digits: kept
        ("kode 12345678 ok", "kode [angka] ok"),  # exactly 8: masked
        ("kode 123456789 ok", "kode [angka] ok"),
        ("NIK 3573014509870002", "NIK [angka]"),  # a NIK has 16
        ("no 1234 5678 ok", "no [angka] ok"),  # separators between digits
        ("no 1234.567 ok", "no 1234.567 ok"),  # 7 digits with a separator: kept
        ("a 1-2-3-4-5-6-7-8 b", "a [angka] b"),
        ("a 1-2-3-4-5-6-7 b", "a 1-2-3-4-5-6-7 b"),
        ("rek +12345678", "rek [angka]"),
    ],
)
def test_digit_runs_from_eight(text, expected):
    assert redact(text, **NONE) == expected


def test_empty_and_missing_text_pass_through():
    assert redact("", **OWN) == ""
    assert redact(None, **OWN) is None


# --- e-mail addresses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tulis ke a.b+c@x-y.example.org ya", "tulis ke [email] ya"),
        ("tulis ke A_B%1@DOM.CO ya", "tulis ke [email] ya"),
        ("bukan surel: a@b.c", "bukan surel: a@b.c"),  # a one-letter top-level domain
        ("bukan surel: @example.org", "bukan surel: @example.org"),
    ],
)
def test_emails(text, expected):
    assert redact(text, **NONE) == expected


def test_an_email_with_the_name_in_it_is_one_email():
    assert redact("budi.santoso@example.org", **OWN) == "[email]"


# --- the reporter's own name ----------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Santoso, Budi",  # reverse order
        "santoso budi",
        "B. Santoso",  # first parts as initials
        "B Santoso",
        "b.santoso",
        "\uff22\uff55\uff44\uff49 \uff33\uff41\uff4e\uff54\uff4f\uff53\uff4f",  # full-width
        "Bu\u200bdi San\u00adtoso",  # zero-width space, soft hyphen
        "\u0412udi Santoso",  # Cyrillic Ve for the B
        "B\u00fadi Sant\u00f3s\u00f3",  # accents
    ],
)
def test_own_name_in_its_other_forms(written):
    assert redact(f"Saya {written} melapor", **OWN) == "Saya [nama] melapor"


@pytest.mark.parametrize(
    "text",
    [
        "Budiman datang",  # a longer word is not the name
        "Santoso datang",  # one part alone is not the name
        "Bu Santosoa datang",
        "S. Budi datang",  # initials only for the first parts
        "BSantoso datang",  # an initial needs a gap after it
    ],
)
def test_words_that_are_not_the_name_stay(text):
    assert redact(text, **OWN) == text


def test_a_one_word_name_is_masked_whole_word_only():
    own = {**NONE, "name": "Sukarno"}
    assert redact("Pak SUKARNO dan Sukarnoputri", **own) == "Pak [nama] dan Sukarnoputri"


def test_a_name_of_fewer_than_two_letters_masks_nothing():
    assert redact("A datang ke A", **{**NONE, "name": "A"}) == "A datang ke A"
    assert redact("Ab datang", **{**NONE, "name": "Ab"}) == "[nama] datang"
    assert redact("A B datang", **{**NONE, "name": "A B"}) == "[nama] datang"


def test_folded_text_keeps_what_is_around_the_name():
    text = "Caf\u00e9 \u00abBudi Santoso\u00bb \u00e9t\u00e9"
    assert redact(text, **OWN) == "Caf\u00e9 \u00ab[nama]\u00bb \u00e9t\u00e9"


def test_two_names_in_folded_text_are_both_masked():
    text = "\u0412udi Santoso dan B\u00fadi Santoso"
    assert redact(text, **OWN) == "[nama] dan [nama]"


# --- addresses ------------------------------------------------------------------------


def test_own_address_without_a_street_word():
    own = {**NONE, "address": "Perum Griya Asri Blok C"}
    assert redact("rumah di perum griya asri, blok c.", **own) == "rumah di [alamat]."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("di Jl Merdeka 5 tadi", "di [alamat] tadi"),
        ("di Jln. Merdeka Barat Daya Raya Ujung Satu 5 tadi", "di [alamat] tadi"),
        ("di Jl. Merdeka nomor 5 tadi", "di [alamat] tadi"),
        ("di Jl. Merdeka nomer: 5 tadi", "di [alamat] tadi"),
        ("di gg mawar 7-9 tadi", "di [alamat] tadi"),
        ("di Jl. Merdeka no tadi", "di Jl. Merdeka no tadi"),  # no house number
        ("di Jalanan 5 tadi", "di Jalanan 5 tadi"),  # not the street word
        ("di Jl. 5 tadi", "di Jl. 5 tadi"),  # no street name
        ("di Jl. Merdeka 5x9 tadi", "di Jl. Merdeka 5x9 tadi"),
    ],
)
def test_street_addresses(text, expected):
    assert redact(text, **NONE) == expected


def test_a_street_in_folded_text():
    assert redact("di J\u0430lan Ijen 5 tadi", **NONE) == "di [alamat] tadi"


# --- phones ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "6281234567890",
        "+6281234567890",
        "081234567890",
        "(0812)34567890",
        "0 8 1 2 3 4 5 6 7 8 9 0",
        "0812---3456---7890",
    ],
)
def test_own_phone_in_any_form(written):
    assert redact(f"HP {written} ya", **OWN) == "HP [telepon] ya"


def test_own_phone_is_not_found_inside_a_longer_number():
    # 13 digits: not the reporter's number, and a digit run: [angka], not [telepon].
    assert redact("kode 1812345678901 ya", **OWN) == "kode [angka] ya"


@pytest.mark.parametrize("phone", ["", None, "bukan nomor", "+62 12345"])
def test_unusable_own_phones_mask_nothing_of_their_own(phone):
    own = {**NONE, "phone": phone}
    assert redact("kode 1234567 ya", **own) == "kode 1234567 ya"


def test_a_short_own_phone_is_not_a_pattern():
    # A 5-digit national number would mask every 5-digit run (postcodes, years).
    assert redact("kodepos 12345 ya", **{**NONE, "phone": "+6212345"}) == "kodepos 12345 ya"


def test_a_bracket_around_a_phone_stays():
    assert redact("HP (0812-3456-7890) ya", **NONE) == "HP ([telepon]) ya"
    assert redact("HP (0341) 551234 ya", **NONE) == "HP [telepon] ya"


def test_own_phone_takes_no_letters_before_it():
    # A 6-digit national number (the shortest the rule takes) written without a prefix:
    # only the digits are the number, "kode" stays whole.
    assert redact("kode 341551 ya", **{**NONE, "phone": "+62341551"}) == "kode [telepon] ya"
    own = {**NONE, "phone": "+6281234567890"}
    assert redact("No:81234567890 ya", **own) == "No:[telepon] ya"


def test_a_three_part_name_with_initials_and_reversed():
    own = {**NONE, "name": "Andi Budi Santoso"}
    text = "A. B. Santoso, A B Santoso, Santoso Budi Andi, A. Santoso"
    assert redact(text, **own) == "[nama], [nama], [nama], A. Santoso"


def test_an_address_is_matched_in_its_own_order_only():
    # Names are also matched reversed and with initials; addresses are not.
    own = {**NONE, "address": "Perum Griya Asri Blok C"}
    # The exact reverse of its words, and the name-style initials of all but the last
    # word: the forms a name would also be matched in.
    assert redact("c blok asri griya perum ya", **own) == "c blok asri griya perum ya"
    assert redact("P. G. A. B. C ya", **own) == "P. G. A. B. C ya"
    # The same forms of a name are masked (the channel works).
    name = {**NONE, "name": "Perum Griya Asri Blok C"}
    assert redact("c blok asri griya perum ya", **name) == "[nama] ya"
    assert redact("P. G. A. B. C ya", **name) == "[nama] ya"


def test_a_name_after_a_next_line_control_is_masked():
    # U+0085 NEXT LINE is a line break: the name after it starts a word.
    assert redact("Pelapor\x85Budi Santoso", **OWN) == "Pelapor\x85[nama]"
