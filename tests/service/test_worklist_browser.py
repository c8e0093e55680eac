"""A nurse works the team's worklist in a real browser (Chromium through Playwright)
against a running ``onecontact serve``: finds a contact, records that care started from
its row, and sees the clock closed on the contact's page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from oneContact import Engine, bundled_rules_directory

from .conftest import running_service

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def planned_care_name() -> str:
    policies = Engine.from_directory(bundled_rules_directory(), backend="python").ruleset.policies
    described = policies.description("planned_care")
    assert described is not None
    return described.fi


def test_a_nurse_records_care_started_from_the_worklist(
    page: Page, tmp_path: Path, planned_care_name: str
) -> None:
    received = datetime.now(UTC) - timedelta(hours=2)
    contact = {
        "contact_id": "br-nurse-1",
        "received_at": received.isoformat(),
        "channel": "digital",
        "municipality": "rannikko",
        "client": {"age": 50, "language": "fi"},
        "concerns": ["chronic_followup"],
        "answers": {},
    }
    with running_service(tmp_path, "--db", f"sqlite:///{tmp_path / 'ledger.db'}") as base:
        assert httpx.post(f"{base}/contacts", json=contact, timeout=30).status_code == 201
        assessed = {
            "event": "need_assessed",
            "at": (received + timedelta(hours=1)).isoformat(),
            "event_id": "br-nurse-1:na",
        }
        answer = httpx.post(f"{base}/contacts/br-nurse-1/events", json=assessed, timeout=30)
        assert answer.status_code == 201

        page.goto(f"{base}/team/worklist?lang=fi")
        expect(page.get_by_role("heading", level=1)).to_have_text("Tiimin työlista")
        # planned care is due in three months: the nurse looks further ahead
        page.get_by_label("Näytä myös arkipäivien kuluessa umpeutuvat").fill("100")
        page.get_by_label("Määräaika").select_option(label=planned_care_name)
        page.get_by_role("button", name="Näytä").click()
        row = page.get_by_role("row").filter(has_text="br-nurse-1")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(planned_care_name)
        expect(row).to_contain_text("avoin: ajallaan")
        expect(row.get_by_role("link", name="br-nurse-1")).to_be_visible()
        button = row.get_by_role("button", name="Hoito alkoi (br-nurse-1)", exact=True)
        button.focus()
        page.keyboard.press("Enter")  # by keyboard, as the rest of the page

        notice = page.get_by_role("status")
        expect(notice).to_have_text("Kirjaus tallennettu.")
        expect(page.get_by_role("row").filter(has_text="br-nurse-1")).to_have_count(0)
        expect(page.get_by_text("Ei määräaikoja näillä rajauksilla.")).to_be_visible()

        page.goto(f"{base}/team/contacts/br-nurse-1?lang=fi")
        clock_row = page.get_by_role("row").filter(has_text=planned_care_name)
        expect(clock_row).to_contain_text("toteutui määräajassa")
        expect(clock_row).to_contain_text("Päättyi")
        expect(page.get_by_role("cell", name="Hoito alkoi", exact=True)).to_have_count(1)
        # the nurse agrees with the rules' urgency: accepted by keyboard, counted for them
        accept = page.get_by_role("button", name="Hyväksy (Kiireellisyys: kiireetön)")
        accept.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("Kirjaus tallennettu.")
        expect(page.get_by_role("cell", name="Ehdotus hyväksytty", exact=True)).to_have_count(1)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = SCREENSHOTS / "worklist-care-started.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        clocks = httpx.get(f"{base}/contacts/br-nurse-1/clocks", timeout=30).json()
        planned = next(c for c in clocks if c["clock"] == "planned_care")
        assert planned["status"] == "met"
        assert planned["stopped_at"] is not None
