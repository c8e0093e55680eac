"""How the ``onecontact`` command reads its timestamp and date options, shared by
:mod:`oneContact.cli` and the ledger views of :mod:`oneContact._cli_overrides`: a refused
option is a :class:`ContactError` titled ``invalid option`` (exit code 2), in the format a
form or script already reads for a refused contact."""

from __future__ import annotations

from datetime import date, datetime

from .clocks import HELSINKI
from .errors import (
    ArgumentError,
    ContactError,
    ContactProblem,
    parse_timestamp,
    require_supported_time,
)

__all__ = ["instant_option", "option_error", "timestamp_option"]


def timestamp_option(text: str, what: str) -> datetime:
    """The timestamp option *what*, read as the library reads every timestamp
    (:func:`~oneContact.errors.parse_timestamp`); refused as a bad option, in the
    contact-error format a form or script already reads."""
    try:
        return parse_timestamp(text, what)
    except ArgumentError as exc:
        raise option_error(exc, what) from None


def option_error(exc: ArgumentError, what: str) -> ContactError:
    """The contact error of a refused timestamp option: no offset, out of the years
    supported, or no timestamp at all; each with its own fix."""
    if exc.code == "naive-timestamp":
        problem = ContactProblem(
            what, "needs a UTC offset, e.g. 2025-02-03T10:00:00+02:00", "timezone"
        )
    elif exc.code == "timestamp-out-of-range":
        problem = ContactProblem(what, str(exc).partition(": ")[2], exc.code)
    else:
        problem = ContactProblem(what, "must be an RFC 3339 timestamp with an offset", "timestamp")
    return ContactError([problem], title="invalid option")


def instant_option(text: str, what: str) -> datetime:
    """A timestamp with an offset, or a date (its midnight in Europe/Helsinki); either in
    the years supported."""
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            midnight = datetime(day.year, day.month, day.day, tzinfo=HELSINKI)
            try:
                return require_supported_time(midnight, what)
            except ArgumentError as exc:
                raise option_error(exc, what) from None
    return timestamp_option(text, what)
