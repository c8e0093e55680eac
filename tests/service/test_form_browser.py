"""The contact form in a real browser (Debian's Chromium through Playwright) against a
running ``onecontact serve``: a Swedish-speaking client whose questions appear and
disappear as they answer, a keyboard-only client in an emergency, and a browser without
JavaScript. Screenshots are saved under the test's tmp_path and checked for the key
elements."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from oneContact import Engine, bundled_rules_directory
from oneContact.service._form_texts import FORM_TEXTS

from .conftest import running_service

TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module: the bundled rules, the example directory, SQLite."""
    cwd = tmp_path_factory.mktemp("form-browser")
    db = f"sqlite:///{cwd / 'l.db'}"
    with running_service(cwd, "--backend", "python", "--db", db) as url:
        yield url


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(bundled_rules_directory(), backend="python")


def question(page: Page, qid: str) -> Any:
    return page.locator(f'#questions [data-question="{qid}"]')


def test_a_swedish_client_sees_questions_come_and_go_and_reads_the_result_in_swedish(
    page: Page, base: str, engine: Engine, tmp_path: Path
) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/?lang=sv")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TEXTS["title"]["sv"])
    page.get_by_label("Ålder i år").fill("40")
    page.get_by_label("svenska", exact=True).check()
    page.get_by_label("Hemkommun").select_option("ekby")
    concern = engine.ruleset.questionnaire.concerns["acute_symptom"].label.sv
    page.get_by_label(concern).check()
    # The questions appear without a page load, red flags first, in Swedish.
    chest = question(page, "chest_pain")
    expect(chest).to_be_visible()
    chest_label = engine.ruleset.questionnaire.questions["chest_pain"].label.sv
    expect(chest).to_contain_text(chest_label)
    expect(chest).to_contain_text(FORM_TEXTS["red_flag"]["sv"])
    expect(question(page, "symptom_duration")).to_be_visible()
    expect(page.locator("#announcer")).not_to_be_empty()
    chest.get_by_label("Nej", exact=True).check()
    pain = page.locator("#q-pain_score")
    pain.fill("6")
    pain.press("Tab")  # a number is sent when the field is left
    expect(question(page, "symptom_duration")).to_have_count(0)  # no longer matters
    expect(pain).to_have_value("6")  # answers are kept
    flags = page.locator("#questions fieldset.red-flag")
    for index in range(flags.count()):
        group = flags.nth(index)
        if group.locator("input:checked").count() == 0:
            group.get_by_label("Nej", exact=True).check()
    page.screenshot(path=str(tmp_path / "sv-form.png"), full_page=True)
    page.get_by_role("button", name=FORM_TEXTS["send"]["sv"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TEXTS["result_title"]["sv"])
    expect(page.locator("#next")).to_contain_text(FORM_TEXTS["non_urgent_heading"]["sv"])
    nurse = engine.ruleset.catalogue.services["nurse"].name.sv
    expect(page.locator("main")).to_contain_text(nurse)
    described = engine.ruleset.policies.description("need_assessment")
    assert described is not None
    expect(page.locator("main")).to_contain_text(described.sv)
    shot = tmp_path / "sv-result.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    expect(page.get_by_role("heading", level=1)).to_be_in_viewport()


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element of *selector* has the focus."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus by Tab")


def test_a_keyboard_only_client_in_an_emergency(page: Page, base: str, tmp_path: Path) -> None:
    """Tab, Space, Enter and typing only: the focus is visible, the 112 notice comes
    first on the result and is in view."""
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/?lang=fi")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()  # the skip link comes first
    tab_to(page, "#f-age")
    page.keyboard.type("50")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # the focus is visible
    tab_to(page, "#f-concerns")  # the first concern: an acute symptom
    page.keyboard.press("Space")
    expect(page.locator("#q-chest_pain")).to_be_visible()
    tab_to(page, "#q-chest_pain")
    page.keyboard.press("Space")  # "yes": chest pain
    expect(page.locator("#emergency-now")).to_be_visible()
    expect(page.locator("#q-chest_pain")).to_be_focused()  # the focus stays on the answer
    expect(page.locator("#q-chest_pain")).to_be_checked()
    tab_to(page, "#send")
    page.keyboard.press("Enter")
    notice = page.locator("#next")
    expect(notice).to_contain_text(FORM_TEXTS["emergency_heading"]["fi"])
    expect(notice).to_be_in_viewport()
    shot = tmp_path / "fi-emergency.png"
    page.screenshot(path=str(shot))
    box = notice.bounding_box()
    assert box is not None
    assert box["y"] < page.viewport_size["height"] / 2  # type: ignore[index]
    assert shot.stat().st_size > 5_000


def test_without_javascript_the_buttons_do_it_all(browser: Browser, base: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/?lang=en")
        page.get_by_label("Age in years").fill("30")
        page.locator("#f-concerns").check()
        page.get_by_role("button", name=FORM_TEXTS["update"]["en"]).click()
        expect(question(page, "chest_pain")).to_be_visible()
        page.get_by_role("button", name=FORM_TEXTS["send"]["en"]).click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        expect(summary).to_be_focused()
        expect(page.locator("#q-chest_pain")).to_have_attribute("aria-invalid", "true")
    finally:
        context.close()
