"""The ledger refuses identity codes, with every century sign, in every id, event name and
report dimension it is given, and its errors never repeat one
(docs/reference/personal-data.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from oneContact.clocks import HELSINKI
from oneContact.engine import Engine
from oneContact.ledger import Ledger, LedgerError

from ..test_personal_data import CODES, assert_unsaid

REPO = Path(__file__).resolve().parents[2]
AT = datetime(2025, 3, 4, 11, tzinfo=HELSINKI)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(REPO / "rules", backend="python")


@pytest.fixture(scope="module")
def ledger(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    path = tmp_path_factory.mktemp("ledger") / "l.db"
    with Ledger.open(f"sqlite:///{path}", policies=engine.ruleset.policies) as opened:
        contact = {
            "contact_id": "c-1",
            "received_at": "2025-03-04T10:00:00+02:00",
            "channel": "phone",
            "client": {"age": 40},
            "concerns": ["acute_symptom"],
        }
        opened.record_assessment(engine.assess(contact))
        yield opened


@pytest.mark.parametrize("code", CODES)
def test_record_refuses_a_code_as_event_or_id_and_never_repeats_it(
    ledger: Ledger, code: str
) -> None:
    """Lower-case codes fit the event-name alphabet: the unknown event is not named."""
    calls = [
        {"contact_id": "c-1", "event": code, "event_id": "e-1"},
        {"contact_id": "c-1", "event": f"x_{code}", "event_id": "e-1"},
        {"contact_id": code, "event": "need_assessed", "event_id": "e-1"},
        {"contact_id": "c-1", "event": "need_assessed", "event_id": f"e:{code}"},
    ]
    for call in calls:
        with pytest.raises(LedgerError) as info:
            ledger.record(call["contact_id"], call["event"], at=AT, event_id=call["event_id"])
        assert_unsaid(info.value, code)
    with pytest.raises(LedgerError) as info:
        ledger.clocks(code, now=AT)
    assert_unsaid(info.value, code)
    with pytest.raises(LedgerError) as info:
        ledger.report(since=AT, until=AT.replace(month=4), by=("service", code))
    assert_unsaid(info.value, code)
    assert () == ledger.events("c-1")[1:]  # nothing was recorded
