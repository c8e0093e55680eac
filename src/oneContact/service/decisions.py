"""The reference service's decision log: one JSON line per assessment it makes.

A line holds the contact's pseudonym, the ruleset digest, the urgency, the ids of the
rules that fired and the seconds the library took — nothing else: no answer, no free
text, no identity code, not even the contact id. The contact id is a key the host
chose; it joins the ledger's records of that contact, and a host may have made it from
something a person can be found by. A log is read by more people than the ledger, and
kept elsewhere, so it carries a keyed pseudonym of the id instead (HMAC-SHA-256 with
the key in :data:`PSEUDONYM_KEY_VARIABLE`): whoever holds the key can find a contact's
lines (:func:`pseudonym`), nobody else can. Without a key each process makes its own
(``onecontact serve`` makes one for all its workers): the lines of one run still join.

The lines go to the ``logging`` logger named after this module,
``oneContact.service.decisions``, at INFO (the message is
the line; ``record.decision`` holds it as a dict), where a host can route them, and, with
``ServiceConfig.decision_log`` (``onecontact serve --decision-log PATH|-``), are appended
to a file by every worker, each line in one write, or written to stderr (``-``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from typing import Any

from ..assessment import Assessment
from ._parts import Parts

__all__ = [
    "DECISION_LOGGER",
    "PSEUDONYM_KEY_VARIABLE",
    "DecisionLog",
    "install_decision_log",
    "pseudonym",
]

#: The logger the decision log's lines go to: this module's name, as Python's
#: convention has it (``oneContact.service.decisions``).
DECISION_LOGGER = __name__
#: The environment variable holding the key of the contacts' pseudonyms (any text).
PSEUDONYM_KEY_VARIABLE = "ONECONTACT_PSEUDONYM_KEY"

_LOG = logging.getLogger(DECISION_LOGGER)
_HANDLERS: dict[str, logging.Handler] = {}


def pseudonym(contact_id: str, key: str) -> str:
    """The decision log's pseudonym of *contact_id* under *key*: 32 hex digits of
    HMAC-SHA-256."""
    return hmac.new(key.encode(), contact_id.encode(), hashlib.sha256).hexdigest()[:32]


class _LineHandler(logging.Handler):
    """Each record's message as one line in one ``write`` to a file opened for
    appending (many processes append to it without mixing their lines), or to stderr."""

    def __init__(self, target: str) -> None:
        super().__init__(logging.INFO)
        if target == "-":
            self._fd, self._own = 2, False
        else:
            self._fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            self._own = True

    def emit(self, record: logging.LogRecord) -> None:
        try:
            os.write(self._fd, (record.getMessage() + "\n").encode())
        except OSError:  # pragma: no cover - a full disk: the service keeps answering
            self.handleError(record)

    def close(self) -> None:
        if self._own:
            os.close(self._fd)
            self._own = False
        super().close()


class DecisionLog:
    """The observer that writes one line per assessment (see the module's docstring)."""

    def __init__(self, key: str | None = None) -> None:
        found = key if key is not None else os.environ.get(PSEUDONYM_KEY_VARIABLE)
        self._key = found or secrets.token_hex(32)

    def line(self, assessment: Assessment, seconds: float) -> dict[str, Any]:
        """The fields of *assessment*'s line."""
        return {
            "contact": pseudonym(assessment.contact_id, self._key),
            "ruleset_digest": assessment.ruleset_digest,
            "urgency": assessment.urgency,
            "fired": [fired.rule for fired in assessment.fired],
            "duration_ms": round(seconds * 1000, 3),
        }

    def __call__(self, assessment: Assessment, seconds: float) -> None:
        """Log *assessment*, which took *seconds* (an observer of the service)."""
        if not _LOG.isEnabledFor(logging.INFO):
            return
        decision = self.line(assessment, seconds)
        text = json.dumps(decision, separators=(",", ":"))
        _LOG.info("%s", text, extra={"decision": decision})

    @staticmethod
    def write_to(target: str) -> None:
        """Append the lines to the file *target* (``-``: stderr) too, once per process."""
        if target in _HANDLERS:
            return
        handler = _LineHandler(target)
        _HANDLERS[target] = handler
        _LOG.addHandler(handler)
        _LOG.setLevel(logging.INFO)


def install_decision_log(parts: Parts) -> DecisionLog:
    """Log every assessment of *parts* (and to the configured file, if any)."""
    log = DecisionLog()
    if parts.config.decision_log is not None:
        DecisionLog.write_to(parts.config.decision_log)
    parts.observers.append(log)
    return log
