"""Settings from the environment: every bad value stops with one typed line
(``BAD_SETTING``) naming the variable, and the app role's URL is derived as documented in
``jogo.platform.settings`` (explicit, or the owner's URL with the user swapped)."""

from __future__ import annotations

import pytest

from jogo.platform.errors import SettingsError
from jogo.platform.settings import APP_ROLE, load_settings


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"JOGO_ENV": "staging"}, "JOGO_ENV must be development, test or production"),
        # Range bounds from the docstring: token TTL 60-86400 s, pool 1-200.
        ({"JOGO_TOKEN_TTL_SECONDS": "59"}, "JOGO_TOKEN_TTL_SECONDS must be between 60 and 86400"),
        ({"JOGO_DB_POOL_SIZE": "201"}, "JOGO_DB_POOL_SIZE must be between 1 and 200, got 201"),
        ({"JOGO_ALLOW_PRIVATE_EGRESS": "maybe"}, "JOGO_ALLOW_PRIVATE_EGRESS must be true or false"),
        ({"JOGO_QUEUE_TYPE": "stream"}, "JOGO_QUEUE_TYPE must be quorum or classic, got 'stream'"),
        ({"JOGO_QUEUE": "Jogo"}, "JOGO_QUEUE must be 1-61 lowercase letters"),
        ({"JOGO_QUEUE": "q" * 62}, "JOGO_QUEUE must be 1-61 lowercase letters"),
        ({"JOGO_SQL_SPANS": "sometimes"}, "JOGO_SQL_SPANS must be off, count, statement or a"),
        ({"JOGO_SQL_SPANS": "1.5"}, "JOGO_SQL_SPANS must be off, count, statement or a"),
        ({"JOGO_SQL_SPANS": "-0.1"}, "JOGO_SQL_SPANS must be off, count, statement or a"),
        ({"JOGO_SQL_SPANS": "nan"}, "JOGO_SQL_SPANS must be off, count, statement or a"),
    ],
)
def test_a_bad_value_is_one_typed_line_naming_the_variable(env, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.code == "BAD_SETTING"
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_range_bounds_themselves_are_accepted():
    settings = load_settings(
        {"JOGO_TOKEN_TTL_SECONDS": "60", "JOGO_DB_POOL_SIZE": "200", "JOGO_QUEUE": "q" * 61}
    )
    assert (settings.token_ttl_seconds, settings.db_pool_size) == (60, 200)
    assert settings.queue_name == "q" * 61


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_private_egress_reads_the_usual_spellings(raw, expected):
    # The default is the opposite of each expected value, so a value that was ignored fails.
    env = {"JOGO_ALLOW_PRIVATE_EGRESS": raw}
    if expected:
        env |= {"JOGO_ENV": "production", "JOGO_SECRET_KEY": "k" * 40}  # default off there
    assert load_settings(env).allow_private_egress is expected


@pytest.mark.parametrize(
    ("raw", "mode", "ratio"),
    [
        ("off", "off", 0.0),
        (" Count ", "count", 0.0),
        ("statement", "statement", 1.0),
        ("0.1", "sampled", 0.1),
        ("0.25", "sampled", 0.25),
        ("0", "count", 0.0),
        ("1", "statement", 1.0),
    ],
)
def test_sql_spans_read_a_mode_or_a_fraction(raw, mode, ratio):
    spans = load_settings({"JOGO_SQL_SPANS": raw}).sql_spans
    assert (spans.mode, spans.ratio) == (mode, ratio)


def test_sql_spans_default_to_a_tenth_of_the_traces_in_production():
    production = {"JOGO_ENV": "production", "JOGO_SECRET_KEY": "k" * 40}
    assert str(load_settings(production).sql_spans) == "0.1"
    assert str(load_settings({}).sql_spans) == "statement"
    assert str(load_settings(production | {"JOGO_SQL_SPANS": "statement"}).sql_spans) == (
        "statement"
    )


def test_classic_queue_type_is_kept_in_lower_case():
    assert load_settings({"JOGO_QUEUE_TYPE": " Classic "}).queue_type == "classic"


def test_app_url_explicit_wins_over_the_derived_one():
    explicit = "postgresql://someone:pw@db.internal:6432/jogo"
    settings = load_settings(
        {
            "JOGO_DATABASE_URL": "postgresql://postgres@127.0.0.1/jogo",
            "JOGO_APP_DATABASE_URL": explicit,
        }
    )
    assert settings.resolved_app_url() == explicit


def test_app_url_swaps_the_user_keeping_an_ipv6_host_and_encoding_the_password():
    settings = load_settings(
        {
            "JOGO_DATABASE_URL": "postgresql://postgres:owner@[::1]:5433/jogo?sslmode=disable",
            "JOGO_APP_DB_PASSWORD": "p@ss/w:rd",
        }
    )
    assert settings.resolved_app_url() == (
        f"postgresql://{APP_ROLE}:p%40ss%2Fw%3Ard@[::1]:5433/jogo?sslmode=disable"
    )
    # Without a password there is no ':' after the user, and no port when none was given.
    no_password = load_settings({"JOGO_DATABASE_URL": "postgres://postgres@db/jogo"})
    assert no_password.resolved_app_url() == f"postgres://{APP_ROLE}@db/jogo"


def test_app_url_without_any_database_is_a_bad_setting():
    settings = load_settings({})
    assert settings.embedded  # no JOGO_DATABASE_URL: the embedded database would be used
    with pytest.raises(SettingsError) as caught:
        settings.resolved_app_url()
    assert caught.value.code == "BAD_SETTING"
    assert "JOGO_DATABASE_URL is not set" in caught.value.message
