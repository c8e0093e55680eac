"""Finnish personal identity codes (henkilötunnus): recognising them, and never echoing one.

A henkilötunnus is ``DDMMYYCNNNT`` (Government Decree 128/2010 on the population
information system, section 2, as amended by 690/2022 from 2023):

- ``DDMMYY`` is the date of birth, and it is a real calendar date;
- ``C`` is the century sign: ``+`` for the 1800s; ``-`` and ``Y X W V U`` for the 1900s;
  ``A B C D E F`` for the 2000s (the letters after ``-`` and ``A`` came into use in 2023);
- ``NNN`` is the individual number: 002-899, and 900-999 for temporary codes that
  hospitals and others give (still personal data);
- ``T`` is the check character: the nine digits ``DDMMYYNNN`` as one integer, modulo 31,
  indexed into ``0123456789ABCDEFHJKLMNPRSTUVWXY``.

A code is recognised in any case, anywhere inside a text, when it stands apart: neither
preceded nor followed by an ASCII letter or digit (``id_131052-308T`` and
``131052-308t.x`` contain one; ``x131052-308T`` does not). Ids made by ``uuid.uuid4()``
(either form) or ``secrets.token_hex()`` can never contain one: their runs of letters and
digits are 32, 8, 4 or 12 characters long, never 11.

Two tests, see docs/reference/personal-data.md:

- :func:`contains_identity_code` (exact: the check character must be right) decides
  whether an *id* is refused;
- :func:`contains_identity_code_shape` (a real date, a century sign, three digits and any
  letter or digit) decides whether a *text value* is refused: a mistyped code is still
  personal data.

:func:`shown_name` is how every message names something a user typed (an unknown key,
event, region, rule or dimension): only a name that cannot hold an identity code (no run
of six digits) nor free text is repeated.
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "CENTURY_SIGNS",
    "CHECK_CHARACTERS",
    "NOT_SHOWN",
    "check_character",
    "contains_identity_code",
    "contains_identity_code_shape",
    "is_identity_code",
    "is_shown",
    "redact",
    "shown_key",
    "shown_name",
]

#: The century each sign gives (decree 128/2010, section 2, as amended by 690/2022).
CENTURY_SIGNS = {
    "+": 1800,
    "-": 1900,
    "Y": 1900,
    "X": 1900,
    "W": 1900,
    "V": 1900,
    "U": 1900,
    "A": 2000,
    "B": 2000,
    "C": 2000,
    "D": 2000,
    "E": 2000,
    "F": 2000,
}
#: The check character of remainder ``i`` (of ``DDMMYYNNN`` divided by 31) is the i-th.
CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
#: How a message names what it must not repeat.
NOT_SHOWN = "(not shown)"

_ALNUM = "0-9A-Za-z"
# Only ASCII letters and digits join a code to its neighbours: anything else (space,
# punctuation, a non-ASCII letter) delimits it, so more is caught, never less.
_CANDIDATE = re.compile(
    rf"(?<![{_ALNUM}])([0-9]{{6}})([-+A-FU-Ya-fu-y])([0-9]{{3}})([{_ALNUM}])(?![{_ALNUM}])"
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_SIX_DIGITS = re.compile(r"[0-9]{6}")
_SHOWN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}\Z")


def check_character(birth_date: str, number: str) -> str:
    """The check character of the code with *birth_date* ``DDMMYY`` and individual
    *number* ``NNN``."""
    return CHECK_CHARACTERS[int(birth_date + number) % 31]


def _real_date(ddmmyy: str, sign: str) -> bool:
    year = CENTURY_SIGNS[sign.upper()] + int(ddmmyy[4:])
    try:
        date(year, int(ddmmyy[2:4]), int(ddmmyy[:2]))
    except ValueError:
        return False
    return True


def _exact(match: re.Match[str]) -> bool:
    ddmmyy, sign, number, check = match.groups()
    return (
        2 <= int(number)
        and check.upper() == check_character(ddmmyy, number)
        and _real_date(ddmmyy, sign)
    )


def is_identity_code(text: str) -> bool:
    """True when *text* is exactly one valid identity code (any case)."""
    match = _CANDIDATE.fullmatch(text)
    return match is not None and _exact(match)


def contains_identity_code(text: str) -> bool:
    """True when a valid identity code stands anywhere in *text*: a real date, a century
    sign, an individual number 002-999 and the right check character, in any case, not
    joined to a letter or digit. Ids are refused by this test."""
    return any(_exact(m) for m in _CANDIDATE.finditer(text))


def contains_identity_code_shape(text: str) -> bool:
    """True when *text* holds a valid code or a mistyped one: a real date, a century sign,
    three digits and any letter or digit, not joined to a letter or digit. Text values
    (a municipality, a text answer) are refused by this test."""
    return any(_real_date(m[1], m[2]) for m in _CANDIDATE.finditer(text))


def is_shown(name: object) -> bool:
    """True when *name*, something a user typed, may be repeated in a message: an
    identifier (1-64 characters of ``A-Z a-z 0-9 _ . : -``, not starting with ``.:-``)
    with no run of six digits, so neither an identity code (even a mistyped one) nor
    free text."""
    return (
        isinstance(name, str)
        and _SHOWN.match(name) is not None
        and _SIX_DIGITS.search(name) is None
    )


def shown_name(name: object) -> str:
    """*name* quoted (``'x'``) when :func:`is_shown`, else ``(not shown)``."""
    return repr(name) if is_shown(name) else NOT_SHOWN


def shown_key(name: object) -> str:
    """*name* as a segment of a field path (``answers.x``), or ``<not shown>``."""
    return name if isinstance(name, str) and is_shown(name) else "<not shown>"


def redact(message: str) -> str:
    """*message* (another library's, e.g. argparse's) with each quoted part that is not
    :func:`is_shown` and each identity code, even a mistyped one, read ``(not shown)``."""
    message = _QUOTED.sub(lambda m: m[0] if is_shown(m[0][1:-1]) else NOT_SHOWN, message)
    return _CANDIDATE.sub(lambda m: NOT_SHOWN if _real_date(m[1], m[2]) else m[0], message)
