"""Every error oneContact raises on purpose, in one tree.

Every error derives from :class:`OneContactError`. User-facing errors also inherit the
fitting builtin (``ValueError``), so a host that already catches ``ValueError`` keeps
working. The parts of a message are attributes too (``code``, ``field``, ``suggestion``,
the problems), so a host service can show them in its own user interface. Driver errors
(sqlite3, psycopg) never cross the public API: the ledger maps them to a
:class:`LedgerError` subclass with the driver's error chained as ``__cause__``.

::

    OneContactError
    ├── ContactError            (ValueError) a first-contact record is invalid:
    │                           every ContactProblem, in fi/sv/en
    ├── RuleError               (ValueError) a rules, policies or directory file set
    │                           cannot be used: every RuleProblem at file:line:column
    ├── FixtureProblem          (ValueError) a fixture file cannot be read: every
    │                           problem at file:line
    ├── ArgumentError           (ValueError) a Python call got an argument it cannot use
    │   └── LedgerArgumentError (also a LedgerError)
    ├── LedgerError             (ValueError) the ledger refused a call; nothing changed
    │   ├── LedgerArgumentError
    │   ├── LedgerUnavailableError  locked, busy, read-only, unreachable: retry later
    │   └── LedgerStoreError        a damaged store or one of a newer schema
    └── ReplayError             (ValueError) a stored assessment cannot be replayed
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import attrs

from ._files import MAX_DATA_FILE_BYTES, FileRefused, read_regular_file
from ._text import Label

__all__ = [
    "CONTACT_CODES",
    "CONTACT_MESSAGES",
    "FIRST_SUPPORTED_YEAR",
    "LAST_SUPPORTED_YEAR",
    "MAX_TEXT_FILE_SIZE",
    "ArgumentError",
    "ContactError",
    "ContactProblem",
    "FixtureProblem",
    "LedgerArgumentError",
    "LedgerError",
    "LedgerStoreError",
    "LedgerUnavailableError",
    "OneContactError",
    "ReplayError",
    "RuleError",
    "RuleProblem",
    "contact_messages",
    "did_you_mean",
    "location",
    "parse_timestamp",
    "read_text_file",
    "require_aware",
    "require_supported_time",
    "suggestion_text",
]


def location(file: str, line: int | None, column: int | None) -> str:
    """``file:line:column`` as far as it is known: how every problem names its place."""
    if line is None:
        return file
    return f"{file}:{line}" if column is None else f"{file}:{line}:{column}"


#: The largest file :func:`read_text_file` reads unless told otherwise: 64 MiB.
MAX_TEXT_FILE_SIZE = MAX_DATA_FILE_BYTES


def read_text_file(path: str | Path, *, title: str, limit: int = MAX_TEXT_FILE_SIZE) -> str:
    """The UTF-8 text of a file a user named; a :class:`ContactError` titled *title*
    (code ``file``) that says why when it cannot be read, so a bad file changes nothing.

    Only a regular file (or a link to one) of at most *limit* bytes is read: a directory,
    a FIFO or a device such as ``/dev/zero`` is refused before a byte is read, never
    waited on."""
    name = str(path)

    def refuse(why: str) -> NoReturn:
        raise ContactError(
            [ContactProblem("<file>", f"cannot read {name}: {why}", "file")], title=title
        )

    # Each refusal is raised outside its handler: a decoding error holds the whole file.
    why: str | None = None
    data = b""
    try:
        data = read_regular_file(Path(path), limit)
    except FileRefused as exc:
        why = f"it {exc.reason}"
    if why is not None:
        refuse(why)
    try:
        text: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None:
        refuse("not UTF-8 text; save it as UTF-8")
    return text


def suggestion_text(suggestion: str | None) -> str:
    """How every message offers its suggestion: `` (did you mean 'x'?)``, or nothing."""
    return f" (did you mean {suggestion!r}?)" if suggestion else ""


def require_aware(value: object, field: str, error: type[ArgumentError] | None = None) -> datetime:
    """*value* when it is a datetime with a UTC offset; else the one error every part of
    oneContact raises for it (an :class:`ArgumentError`, or *error*, a subclass of it, with
    code ``bad-timestamp`` or ``naive-timestamp``) naming *field*."""
    kind = error or ArgumentError
    if not isinstance(value, datetime):
        raise kind(
            "bad-timestamp",
            field,
            f"must be a datetime with a time zone, not {type(value).__name__}",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise kind(
            "naive-timestamp",
            field,
            f"{value.isoformat()} is a naive datetime: it has no time zone; give it one, e.g. "
            "datetime(..., tzinfo=ZoneInfo('Europe/Helsinki')) or UTC",
        )
    return value


#: The years whose instants oneContact takes in (UTC): a contact's time, an event's time,
#: "now". The working-day calendar is built from the ``holidays`` package year by year (its
#: Finnish calendar ends with 2100), and a due date may fall a year after its clock
#: started; the ledger counts microseconds from 1970. An instant outside these years
#: is refused with code ``timestamp-out-of-range`` wherever it enters (contacts, fixtures,
#: options, :meth:`Ledger.record`), so no stored time can break a later read.
FIRST_SUPPORTED_YEAR = 1970
LAST_SUPPORTED_YEAR = 2099


def require_supported_time(
    value: object, field: str, error: type[ArgumentError] | None = None
) -> datetime:
    """*value* when it is an aware datetime (:func:`require_aware`) in the years
    :data:`FIRST_SUPPORTED_YEAR` to :data:`LAST_SUPPORTED_YEAR` (UTC); else an
    :class:`ArgumentError` (or *error*) with code ``timestamp-out-of-range`` naming
    *field* and the years."""
    ts = require_aware(value, field, error)
    try:
        year = ts.astimezone(UTC).year
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past datetime.max in UTC
        year = ts.year
    if not FIRST_SUPPORTED_YEAR <= year <= LAST_SUPPORTED_YEAR or not (
        FIRST_SUPPORTED_YEAR <= ts.year <= LAST_SUPPORTED_YEAR
    ):
        raise (error or ArgumentError)(
            "timestamp-out-of-range",
            field,
            f"must fall in the years {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR}, the years "
            "the working-day calendar supports",
        )
    return ts


def parse_timestamp(text: str, field: str, error: type[ArgumentError] | None = None) -> datetime:
    """The moment a person wrote as RFC 3339 text (``2025-02-03T10:00:00+02:00``): the one
    reading of a timestamp option or fixture value. Text that is no timestamp raises an
    :class:`ArgumentError` (or *error*) with code ``bad-timestamp``; one without a UTC
    offset the error :func:`require_aware` raises (``naive-timestamp``)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None  # raised below, so the error does not keep Python's, which quotes *text*
    if value is None:
        raise (error or ArgumentError)(
            "bad-timestamp",
            field,
            "must be an RFC 3339 timestamp with an offset, e.g. 2025-02-03T10:00:00+02:00",
        )
    return require_supported_time(value, field, error)


class OneContactError(Exception):
    """Root of every error oneContact raises on purpose."""


class _Refusal(OneContactError, ValueError):
    """A call refused: ``code`` (stable), ``field`` (what is wrong), the fix, and a
    ``suggestion`` (the nearest valid name) as data, formatted in one place."""

    def __init__(
        self, code: str, field: str, message: str, *, suggestion: str | None = None
    ) -> None:
        self.code = code
        self.field = field
        self.suggestion = suggestion
        super().__init__(f"{field}: {message}{suggestion_text(suggestion)}")


class ArgumentError(_Refusal):
    """A Python call was given an argument it cannot use; nothing was changed.

    The same mistake raises it everywhere: a datetime without a time zone (code
    ``naive-timestamp``), an unknown event or clock name (``unknown-event``,
    ``unknown-clock``, with the nearest name as ``suggestion``), an option out of range
    (``bad-argument``).
    """


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return the closest of *choices* to *word*, or None when nothing is close."""
    matches = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return matches[0] if matches else None


# --------------------------------------------------------------------------- contact messages

#: What a form shows a client for each contact problem, in Finnish, Swedish and English,
#: by message key: a problem's ``code``, or for codes with several wordings
#: ``answer:<kind>`` and ``range:<kind>``. ``{limit}``, ``{low}`` and ``{high}`` are
#: bounds of the form (a question's ``min``/``max``), never a value the client typed.
#: ``invalid`` is the wording of a code not listed (pydantic's own, which may grow).
CONTACT_MESSAGES: Mapping[str, Label] = {
    "unknown-field": Label(
        "Lomakkeella on tieto, jota ei tunneta; poista se.",
        "Formuläret innehåller en uppgift som inte är känd; ta bort den.",
        "The form has an entry that is not known; remove it.",
    ),
    "unknown-concern": Label(
        "Yhteydenoton syytä ei tunneta; valitse syy annetuista vaihtoehdoista.",
        "Kontaktorsaken är okänd; välj en orsak bland alternativen.",
        "The reason for contact is not known; choose a reason from the options.",
    ),
    "unknown-question": Label(
        "Kysymystä ei tunneta.",
        "Frågan är okänd.",
        "The question is not known.",
    ),
    "answer-type": Label(
        "Vastaus ei ole oikeaa muotoa.",
        "Svaret har fel form.",
        "The answer is not in the right form.",
    ),
    "answer:boolean": Label("Vastaa kyllä tai ei.", "Svara ja eller nej.", "Answer yes or no."),
    "answer:number": Label("Vastaa luvulla.", "Svara med ett tal.", "Answer with a number."),
    "answer:whole": Label(
        "Vastaa kokonaisluvulla.", "Svara med ett heltal.", "Answer with a whole number."
    ),
    "answer:choice": Label(
        "Valitse yksi vaihtoehdoista.", "Välj ett av alternativen.", "Choose one of the options."
    ),
    "range:at-least": Label(
        "Anna luku, joka on vähintään {limit}.",
        "Ange ett tal som är minst {limit}.",
        "Give a number of at least {limit}.",
    ),
    "range:at-most": Label(
        "Anna luku, joka on enintään {limit}.",
        "Ange ett tal som är högst {limit}.",
        "Give a number of at most {limit}.",
    ),
    "range:between": Label(
        "Anna luku {low} ja {high} väliltä.",
        "Ange ett tal mellan {low} och {high}.",
        "Give a number between {low} and {high}.",
    ),
    "json-invalid": Label(
        "Tietoja ei voi lukea: ne eivät ole JSON-muodossa.",
        "Uppgifterna kan inte läsas: de är inte i JSON-format.",
        "The data cannot be read: it is not valid JSON.",
    ),
    "json-too-large": Label(
        "Tiedot ovat liian suuret luettaviksi.",
        "Uppgifterna är för stora för att läsas.",
        "The data is too large to read.",
    ),
    "json-too-deep": Label(
        "Tiedoissa on liian monta sisäkkäistä tasoa.",
        "Uppgifterna har för många nivåer i varandra.",
        "The data is nested too deeply.",
    ),
    "json-duplicate-key": Label(
        "Sama tieto on annettu useammin kuin kerran.",
        "Samma uppgift har angetts mer än en gång.",
        "The same entry is given more than once.",
    ),
    "timestamp-out-of-range": Label(
        f"Ajan on oltava vuosien {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR} välillä.",
        f"Tiden måste ligga mellan åren {FIRST_SUPPORTED_YEAR} och {LAST_SUPPORTED_YEAR}.",
        f"The time must fall in the years {FIRST_SUPPORTED_YEAR}-{LAST_SUPPORTED_YEAR}.",
    ),
    "date-out-of-range": Label(
        "Päivämäärä ei ole mahdollinen; tarkista vuosi.",
        "Datumet är inte möjligt; kontrollera året.",
        "The date is not possible; check the year.",
    ),
    "contact-type": Label(
        "Yhteydenoton tiedot puuttuvat tai ovat väärää muotoa.",
        "Kontaktuppgifterna saknas eller har fel form.",
        "The contact details are missing or in the wrong form.",
    ),
    "unknown-event": Label(
        "Tapahtumaa ei tunneta.", "Händelsen är okänd.", "The event is not known."
    ),
    "timezone": Label(
        "Ajasta puuttuu aikavyöhyke (esim. +02:00).",
        "Tiden saknar tidszon (t.ex. +02:00).",
        "The time lacks a time zone (e.g. +02:00).",
    ),
    "missing": Label(
        "Tämä tieto on pakollinen.", "Denna uppgift är obligatorisk.", "This is required."
    ),
    "identity-code": Label(
        "Älä kirjoita tähän henkilötunnusta.",
        "Skriv inte en personbeteckning här.",
        "Do not write a personal identity code here.",
    ),
    "age-or-birth-date": Label(
        "Anna ikä tai syntymäaika, ei molempia.",
        "Ange ålder eller födelsedatum, inte båda.",
        "Give age or birth date, not both.",
    ),
    "date-format": Label(
        "Kirjoita päivämäärä muodossa VVVV-KK-PP.",
        "Skriv datumet i formen ÅÅÅÅ-MM-DD.",
        "Write the date as YYYY-MM-DD.",
    ),
    "timestamp-format": Label(
        "Kirjoita aika muodossa VVVV-KK-PPTtt:mm+02:00.",
        "Skriv tiden i formen ÅÅÅÅ-MM-DDTtt:mm+02:00.",
        "Write the time as YYYY-MM-DDThh:mm+02:00.",
    ),
    "duplicate-concern": Label(
        "Sama yhteydenoton syy on valittu useammin kuin kerran.",
        "Samma kontaktorsak är vald mer än en gång.",
        "The same reason for contact is chosen more than once.",
    ),
    "too-short": Label(
        "Tämä tieto ei saa olla tyhjä.",
        "Denna uppgift får inte vara tom.",
        "This must not be empty.",
    ),
    "too-long": Label(
        "Tietoja on liian monta.",
        "Det finns för många uppgifter.",
        "There are too many entries.",
    ),
    "string-too-long": Label(
        "Teksti on liian pitkä.", "Texten är för lång.", "The text is too long."
    ),
    "string-pattern-mismatch": Label(
        "Tieto ei ole sallitussa muodossa.",
        "Uppgiften är inte i tillåten form.",
        "This is not in an allowed form.",
    ),
    "greater-than-equal": Label(
        "Luku on liian pieni.", "Talet är för litet.", "The number is too small."
    ),
    "less-than-equal": Label(
        "Luku on liian suuri.", "Talet är för stort.", "The number is too large."
    ),
    "string-type": Label("Kirjoita tähän tekstiä.", "Skriv text här.", "Write text here."),
    "wrong-form": Label(
        "Tieto on väärää muotoa.", "Uppgiften har fel form.", "This is in the wrong form."
    ),
    "file": Label("Tiedostoa ei voi lukea.", "Filen kan inte läsas.", "The file cannot be read."),
    "event": Label(
        "Kirjoita tapahtuma muodossa NIMI=AIKA.",
        "Skriv händelsen i formen NAMN=TID.",
        "Write the event as NAME=TIME.",
    ),
    "fhir-resource": Label(
        "Tiedot eivät ole odotettua FHIR-resurssia.",
        "Uppgifterna är inte den FHIR-resurs som väntades.",
        "The data is not the FHIR resource expected.",
    ),
    "unknown-questionnaire": Label(
        "Vastaukset on annettu toiselle lomakkeelle.",
        "Svaren gäller ett annat formulär.",
        "The answers are to another form.",
    ),
    "too-many-answers": Label(
        "Tähän kysymykseen voi antaa vain yhden vastauksen.",
        "Den här frågan kan bara ha ett svar.",
        "This question takes only one answer.",
    ),
    "answer-value": Label(
        "Vastauksesta puuttuu arvo, tai arvoja on useita.",
        "Svaret saknar ett värde, eller har flera.",
        "The answer has no value, or several.",
    ),
    "invalid": Label("Tarkista tämä tieto.", "Kontrollera denna uppgift.", "Check this entry."),
}

# Keys of wordings shared by several codes, not codes themselves.
_NOT_CODES = frozenset({"wrong-form", "invalid"})

# Codes that share the wording of another key.
_SAME_AS = {
    "literal-error": "answer:choice",
    "bool-type": "answer:boolean",
    "int-type": "answer:whole",
    "float-type": "answer:number",
    "string-too-short": "too-short",
    "timezone-missing": "timezone",
    "timezone-aware": "timezone",
    "date-type": "date-format",
    "datetime-type": "timestamp-format",
    "timestamp": "timestamp-format",
    "dict-type": "wrong-form",
    "list-type": "wrong-form",
    "model-type": "wrong-form",
    "number-too-large": "less-than-equal",
}

#: Every code a :class:`ContactProblem` of oneContact's own may carry, with the key of
#: its default wording in :data:`CONTACT_MESSAGES` (documented in docs/reference/errors.md).
CONTACT_CODES: Mapping[str, str] = {
    **{key: key for key in CONTACT_MESSAGES if ":" not in key and key not in _NOT_CODES},
    **_SAME_AS,
}


def _number(value: float, language: str) -> str:
    text = f"{int(value):,}" if float(value).is_integer() else f"{value:,}"
    if language == "en":
        return text
    # Finnish and Swedish: a space between thousands, a decimal comma.
    return text.replace(",", " ").replace(".", ",")


def contact_messages(key: str, **bounds: float) -> Label:
    """The fi/sv/en wording of message *key* (a code, or ``answer:...``/``range:...``),
    with *bounds* (numbers of the form, never client input) written in each language's
    way; a key not known gives the ``invalid`` wording."""
    label = CONTACT_MESSAGES.get(_SAME_AS.get(key, key)) or CONTACT_MESSAGES["invalid"]
    if not bounds:
        return label
    texts = [
        getattr(label, lang).format(**{k: _number(v, lang) for k, v in bounds.items()})
        for lang in ("fi", "sv", "en")
    ]
    return Label(*texts)


@attrs.frozen
class ContactProblem:
    """One thing wrong with a first-contact record.

    ``field`` is a dotted path such as ``client.age`` or ``answers.chest_pain``.
    ``message`` is the English message for the developer of the form (it may name codes
    and fixes). ``messages`` is what a form shows the client, in Finnish, Swedish and
    English (:meth:`message_in`); by default the wording of ``code`` in
    :data:`CONTACT_MESSAGES`. Neither ever repeats a value the client gave: a value may
    hold personal data.
    """

    field: str
    message: str
    code: str
    messages: Label = attrs.field(
        default=attrs.Factory(lambda self: contact_messages(self.code), takes_self=True),
        kw_only=True,
        repr=False,
    )
    suggestion: str | None = attrs.field(default=None, kw_only=True, repr=False)
    """The nearest valid name (a concern, question or field id; never a value the client
    gave), as data; the message already ends with it (:func:`suggestion_text`)."""

    def message_in(self, language: str) -> str:
        """The message for the client in *language* (``fi``, ``sv`` or ``en``; another
        code falls back as :meth:`Label.get` does)."""
        return self.messages.get(language)

    def to_json(self) -> dict[str, object]:
        """``{field, code, message, messages: {fi, sv, en}}``, and ``suggestion`` when
        there is one."""
        data: dict[str, object] = {
            "field": self.field,
            "code": self.code,
            "message": self.message,
            "messages": {"fi": self.messages.fi, "sv": self.messages.sv, "en": self.messages.en},
        }
        if self.suggestion is not None:
            data["suggestion"] = self.suggestion
        return data

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ContactError(OneContactError, ValueError):
    """A first-contact record is invalid; ``problems`` names every offending field."""

    def __init__(
        self, problems: Sequence[ContactProblem], *, title: str = "invalid first contact"
    ) -> None:
        self.problems: tuple[ContactProblem, ...] = tuple(problems)
        self.fields: tuple[str, ...] = tuple(p.field for p in self.problems)
        self.title = title
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{title}: {count} {noun}\n{lines}")

    def to_json(self) -> dict[str, object]:
        """The error as JSON: ``{error, count, problems: [{field, code, message,
        messages: {fi, sv, en}}, ...]}`` (``error`` is the title, e.g. ``invalid first
        contact``)."""
        return {
            "error": self.title,
            "count": len(self.problems),
            "problems": [p.to_json() for p in self.problems],
        }


@attrs.frozen
class RuleProblem:
    """One thing wrong in a rules directory, located to file, line and column."""

    code: str
    message: str
    path: Path | None = None
    line: int | None = None
    column: int | None = None
    rule_id: str | None = None
    suggestion: str | None = None

    def location(self) -> str:
        """``path:line:column`` as far as it is known."""
        return location(
            str(self.path) if self.path is not None else "<rules>", self.line, self.column
        )

    def __str__(self) -> str:
        rule = f" [rule {self.rule_id}]" if self.rule_id else ""
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{self.location()}: {self.code}{rule}: {self.message}{hint}"


class RuleError(OneContactError, ValueError):
    """A rules directory cannot be used; nothing was loaded.

    ``problems`` lists every problem found; the first one's parts are also exposed as
    ``code``, ``path``, ``line``, ``column``, ``rule_id`` and ``suggestion``.
    """

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        if not problems:
            raise ValueError("RuleError needs at least one problem")
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        first = self.problems[0]
        self.code = first.code
        self.path = first.path
        self.line = first.line
        self.column = first.column
        self.rule_id = first.rule_id
        self.suggestion = first.suggestion
        super().__init__("\n".join(str(p) for p in self.problems))


class LedgerError(_Refusal):
    """The ledger refused a call; nothing was changed.

    ``field`` names what is wrong (``event``, ``at``, ``events[3].event_id``, ...),
    ``code`` is a stable identifier of the kind of problem, and the message says the fix.
    """


class LedgerArgumentError(LedgerError, ArgumentError):
    """A ledger call's argument is wrong (a naive time, an unknown event): both a
    :class:`LedgerError` and the :class:`ArgumentError` every other part raises for it."""


class LedgerUnavailableError(LedgerError):
    """The store cannot be used now: locked, busy, read-only or unreachable. Nothing was
    changed; retrying later may succeed. The driver's own error is chained as the cause."""


class LedgerStoreError(LedgerError):
    """The store refused in a way retrying will not fix (a damaged file, a schema this
    version cannot read, a constraint broken). The driver's error is chained as the cause."""


class ReplayError(OneContactError, ValueError):
    """A stored assessment cannot be replayed with this engine (another digest, bad JSON)."""


#: Codes of problems with a fixture file itself rather than its format (from the YAML
#: reader): printed with the code, as every rules file problem is.
_FILE_CODES = frozenset(
    {
        "broken-symlink",
        "control-character",
        "file-encoding",
        "file-too-large",
        "file-unreadable",
        "not-a-file",
        "symlink-loop",
        "yaml-alias-expansion",
        "yaml-recursive-alias",
        "yaml-syntax",
        "yaml-too-deep",
        "yaml-value",
    }
)


class FixtureProblem(OneContactError, ValueError):
    """A fixture file cannot be read (format: docs/reference/fixtures.md); none of its
    cases was run.

    ``problems`` lists every mistake found, each a :class:`RuleProblem` with a stable
    ``code`` (``unknown-key``, ``duplicate-id``, ...), the file, the line and a
    ``suggestion``. The message gives one line for each: ``file:line: what is wrong``.
    """

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        if not problems:
            raise ValueError("FixtureProblem needs at least one problem")
        self.problems: tuple[RuleProblem, ...] = tuple(problems)
        super().__init__("\n".join(f"{p.location()}: {self.what(p)}" for p in self.problems))

    @staticmethod
    def what(problem: RuleProblem) -> str:
        """One problem's text after its ``file:line``: what is wrong, and the suggestion."""
        said = f"{problem.message}{suggestion_text(problem.suggestion)}"
        return f"{problem.code}: {said}" if problem.code in _FILE_CODES else said
