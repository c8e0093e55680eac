"""Recognising Finnish personal identity codes exactly, and what a message may repeat."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oneContact.identity_code import (
    CENTURY_SIGNS,
    NOT_SHOWN,
    check_character,
    contains_identity_code,
    contains_identity_code_shape,
    is_identity_code,
    is_shown,
    redact,
    shown_key,
    shown_name,
)
from oneContact.intake import looks_like_identity_code

SIGNS = {
    1800: ("+",),
    1900: ("-", "Y", "X", "W", "V", "U"),
    2000: ("A", "B", "C", "D", "E", "F"),
}


def code(day: date, sign: str, number: int) -> str:
    """The identity code of *day*, *sign* and individual *number*, check character and all."""
    ddmmyy = day.strftime("%d%m") + f"{day.year % 100:02d}"
    return f"{ddmmyy}{sign}{number:03d}{check_character(ddmmyy, f'{number:03d}')}"


def codes_of_every_sign() -> list[str]:
    """Systematic sample: every sign, a day in each month of every 7th year of its
    century, individual numbers across 002-999 (temporary codes 900-999 too), and the
    leap days."""
    out = []
    for century, signs in SIGNS.items():
        for sign in signs:
            for year in range(century, century + 100, 7):
                for month in range(1, 13):
                    day = date(year, month, 1 + (year + month) % 28)
                    out.append(code(day, sign, 2 + (year * 13 + month * 71) % 998))
            for year in (century + 4, century + 96):  # leap years (1800 and 1900 are not)
                out.append(code(date(year, 2, 29), sign, 900 + year % 100))
    return out


ALL_CODES = codes_of_every_sign()


def test_the_signs_are_the_decrees() -> None:
    """Decree 128/2010 s. 2 as amended by 690/2022: + 1800s; - Y X W V U 1900s; A-F 2000s."""
    assert CENTURY_SIGNS == {s: c for c, signs in SIGNS.items() for s in signs}


def test_known_codes() -> None:
    """Codes worked by hand from the decree's rule (DDMMYYNNN mod 31)."""
    assert is_identity_code("131052-308T")  # 131052308 % 31 = 25 -> T
    assert is_identity_code("131052-308t")
    assert is_identity_code("131052Y308T")  # the 2023 signs: same date and number
    assert is_identity_code("010594Y9032")
    assert is_identity_code("020502E902X")
    assert code(date(1952, 10, 13), "-", 308) == "131052-308T"


@pytest.mark.parametrize("identity_code", ALL_CODES[::5])
def test_every_sign_is_recognised_alone_and_in_text(identity_code: str) -> None:
    for variant in (identity_code, identity_code.lower()):
        assert is_identity_code(variant)
        for text in (
            variant,
            f"id_{variant}",
            f"{variant}.x",
            f"my code is {variant}, thanks",
            f"äiti:{variant}",
            f"({variant})",
        ):
            assert contains_identity_code(text), text
            assert contains_identity_code_shape(text), text
            assert looks_like_identity_code(text), text
            assert not is_shown(text)
            assert NOT_SHOWN == shown_name(text)
            assert variant not in redact(f"choice: {text!r}")
            assert variant not in redact(text)


def test_all_generated_codes_are_recognised() -> None:
    assert len(ALL_CODES) > 1500
    assert all(is_identity_code(c) and is_identity_code(c.lower()) for c in ALL_CODES)


@given(
    day=st.dates(date(1800, 1, 1), date(2099, 12, 31)),
    number=st.integers(2, 999),
    choose=st.integers(0, 5),
    before=st.sampled_from(["", " ", "-", "_", ":", "x=", "ä", "\n", "(", "'"]),
    after=st.sampled_from(["", " ", "-", "_", ".", ",", "ö", ")", "'"]),
    lower=st.booleans(),
)
def test_any_valid_code_is_recognised(
    day: date, number: int, choose: int, before: str, after: str, lower: bool
) -> None:
    signs = SIGNS[day.year // 100 * 100]
    found = code(day, signs[choose % len(signs)], number)
    found = found.lower() if lower else found
    assert contains_identity_code(f"{before}{found}{after}")
    assert contains_identity_code(f"a {before}{found}{after} b")


def test_a_code_joined_to_letters_or_digits_is_not_one() -> None:
    """Delimited: not preceded or followed by an ASCII letter or digit."""
    for text in ("x131052-308T", "131052-308Tx", "9131052-308T", "131052-308T0"):
        assert not contains_identity_code(text)
        assert not contains_identity_code_shape(text)


def test_not_a_real_date_is_not_a_code() -> None:
    """The date must exist in the century the sign gives: 29.2. of 1900 and 1800 does not,
    of 2000 does."""
    ddmmyy, number = "290200", "123"
    check = check_character(ddmmyy, number)
    assert is_identity_code(f"{ddmmyy}A{number}{check}")
    assert not contains_identity_code_shape(f"{ddmmyy}-{number}{check}")
    assert not contains_identity_code_shape(f"{ddmmyy}+{number}{check}")
    for bad in ("320152", "001052", "131352", "310452"):
        assert not contains_identity_code_shape(f"{bad}-123{check_character(bad, '123')}")


def test_a_mistyped_code_is_a_shape_not_a_code() -> None:
    """Wrong check character, or an individual number never given (000, 001): refused in
    text values (contains_identity_code_shape), not as an id (contains_identity_code)."""
    for typo in ("131052-308U", "131052-3085", "131052-000X", "131052-001J", "131052-308G"):
        assert not contains_identity_code(typo)
        assert contains_identity_code_shape(typo)
        assert contains_identity_code_shape(f"text {typo.lower()} text")
        assert NOT_SHOWN in redact(f"'{typo}'")


def test_shown_names() -> None:
    """Only an identifier with no run of six digits is repeated in a message."""
    for name in ("need_assessed", "age_group", "q12", "a.b:c-d", "x2025"):
        assert is_shown(name)
        assert shown_name(name) == repr(name)
        assert shown_key(name) == name
    for name in ("", "131052", "x131052a", "two words", "-x", "a" * 65, "ä", 5, None):
        assert not is_shown(name)
        assert shown_name(name) == NOT_SHOWN
        assert shown_key(name) == "<not shown>"


GENERATORS: dict[str, Callable[[], str]] = {
    "uuid4().hex": lambda: uuid.uuid4().hex,
    "str(uuid4())": lambda: str(uuid.uuid4()),
    "token_hex(16)": lambda: secrets.token_hex(16),
}


def refusals(make: Callable[[], str], count: int) -> tuple[int, int]:
    """How many of *count* generated ids the id check (exact) and the text check (any
    check character) refuse."""
    exact = shape = 0
    for _ in range(count):
        value = make()
        exact += looks_like_identity_code(value)
        shape += contains_identity_code_shape(value)
    return exact, shape


@pytest.mark.parametrize("kind", GENERATORS)
def test_generated_ids_are_never_refused(kind: str) -> None:
    """The old check refused 12.7 % of uuid4().hex, 2.6 % of str(uuid4()), 11.5 % of
    token_hex(16); a code stands apart from letters and digits, so none is refused."""
    assert refusals(GENERATORS[kind], 50_000) == (0, 0)


@pytest.mark.slow
@pytest.mark.parametrize("kind", GENERATORS)
def test_a_million_generated_ids_are_never_refused(kind: str) -> None:
    assert refusals(GENERATORS[kind], 1_000_000) == (0, 0)


def test_dates_near_a_code_are_not_codes() -> None:
    """Ids that carry a date and a number, but not a code's shape, are accepted."""
    day = date(2025, 1, 1)
    for _ in range(400):
        day += timedelta(days=1)
        stamp = day.strftime("%d%m%y")
        for text in (f"{stamp}-12", f"{stamp}-12345", f"c-{stamp}1234", f"{stamp}_123A"):
            assert not contains_identity_code_shape(text), text
