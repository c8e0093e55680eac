"""The team's report page in a real browser (Debian's Chromium through Playwright),
against a running ``onecontact serve`` with the example directory: a team lead chooses a
month and a breakdown by municipality with the keyboard, in Swedish, and reads the report
in its titled frame, names not codes, the small municipality's figures not shown."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from .conftest import running_service
from .test_reports import MUNICIPALITY_NAMES, TYPED, contacts


def test_a_team_lead_reads_the_report_by_municipality_in_swedish(
    page: Page, tmp_path: Path
) -> None:
    with running_service(tmp_path, "--db", f"sqlite:///{tmp_path / 'ledger.db'}") as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            for contact in contacts():
                assert http.post("/contacts", json=contact).status_code == 201
        page.goto(f"{base}/team/report?lang=sv")
        expect(page.locator("h1")).to_have_text("Rapport om tillgång till vård")
        page.get_by_label("Första dagen").fill("2025-03-01")
        page.get_by_label("Sista dagen").fill("2025-03-31")
        # The keyboard only: the breakdown's boxes and the button.
        page.get_by_label("Kommun").focus()
        page.keyboard.press("Space")
        expect(page.get_by_label("Kommun")).to_be_checked()
        page.get_by_role("button", name="Visa rapporten").focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/team/report?*by=municipality*")
        frame_element = page.locator("iframe.report-frame")
        expect(frame_element).to_have_attribute(
            "title", "Rapport om tillgång till vård för perioden 2025-03-01 \u2013 2025-03-31"
        )
        report = page.frame_locator("iframe.report-frame")
        table = report.locator("table.groups")
        expect(table).to_contain_text(MUNICIPALITY_NAMES["kivilahti"])
        expect(table).to_contain_text(MUNICIPALITY_NAMES["ekby"])
        expect(table.locator("tr.suppressed").first).to_contain_text("visas inte")
        keys = table.locator("td.k").all_inner_texts()
        assert MUNICIPALITY_NAMES["rannikko"] in keys
        assert not {"rannikko", "kivilahti", "ekby"} & set(keys)  # names, not codes
        expect(report.locator("p.small-cells")).to_be_visible()
        assert TYPED not in table.inner_text()
        expect(page.get_by_role("link", name="Siffrorna som tabell (CSV)")).to_be_visible()
        shot = tmp_path / "team-report-sv.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
