"""Whether the client's language is a right or a preference is the region's policy.

In a bilingual wellbeing services county a Finnish- or Swedish-speaking client has a right
to service in their language (Kielilaki 423/2003 §§ 10 and 23; Laki sosiaali- ja
terveydenhuollon järjestämisestä 612/2021 § 5): the region file says so with
``language_rights: [fi, sv]``. Elsewhere the language is a preference the ranking honours
when it can (docs/explanation/routing.md).

The directory below is small and fictional; the dates are worked by hand:
contact Mon 2026-03-02 10:00, client aged 20, so the care clock (Terveydenhuoltolaki
1326/2010 § 51: 14 days for clients under 23) runs from the need assessment at the contact
to Mon 2026-03-16 (2 + 14; a weekday). That is the due date every booked slot must meet.
"""

from __future__ import annotations

import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oneContact import Directory, Engine, RuleError
from oneContact.clocks import Policies
from oneContact.testing.strategies import first_contacts

from ..conftest import BUNDLED_RULES
from ..strategies import directories
from .test_routing import Delegate

DUE = "2026-03-16"


def _rules(tmp_path: Path) -> Path:
    """The bundled rules with two region files of the test's own: a bilingual one and a
    unilingual Finnish one that makes only Finnish a right."""
    rules = tmp_path / "rules"
    shutil.copytree(BUNDLED_RULES, rules)
    regions = rules / "policies" / "regions"
    (regions / "kaksikielinen.yaml").write_text(
        textwrap.dedent(
            """\
            name: {fi: Kaksikielinen alue, sv: Tvåspråkigt område, en: Bilingual region}
            language_rights: [fi, sv]
            """
        ),
        encoding="utf-8",
    )
    (regions / "suomenkielinen.yaml").write_text(
        textwrap.dedent(
            """\
            name: {fi: Suomenkielinen alue, sv: Finskspråkigt område, en: Finnish region}
            language_rights: [fi]
            """
        ),
        encoding="utf-8",
    )
    return rules


def _directory(tmp_path: Path, rules: Path, *, sv_slot: str | None, **extra: str) -> Directory:
    """Nurse ``n-fi`` (Finnish only) is free Mon 2026-03-02 12:00, the earliest slot;
    nurse ``n-sv`` (Swedish and Finnish) at *sv_slot*, or not in the directory."""
    members = [
        '  - {id: n-fi, role: nurse, unit: hs, languages: [fi], slots: ["2026-03-02T12:00"]}'
    ]
    if sv_slot is not None:
        members.append(
            f'  - {{id: n-sv, role: nurse, unit: hs, languages: [sv, fi], slots: ["{sv_slot}"]}}'
        )
    members.extend(extra.values())
    text = "\n".join(
        [
            "slots_from: 2026-03-02",
            "slots_until: 2026-03-27",
            "municipalities:",
            "  - {id: kyla, name: Kylä / By}",
            "units:",
            "  - {id: hs, kind: health_station, municipality: kyla, languages: [fi, sv]}",
            "members:",
            *members,
            "",
        ]
    )
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    return Directory.from_file(path, rules=rules)


def _contact(language: str = "sv", **over: Any) -> dict[str, Any]:
    client = {"age": 20, "language": language, **over.pop("client", {})}
    return {
        "contact_id": "fx-lang-1",
        "received_at": "2026-03-02T10:00:00+02:00",
        "channel": "phone",
        "municipality": "kyla",
        "client": client,
        "concerns": ["acute_symptom"],
        "answers": {"pain_score": 5, "symptom_duration": "hours"},
        **over,
    }


def _nurse(
    rules: Path, directory: Directory, region: str | None, contact: dict[str, Any]
) -> dict[str, Any]:
    engine = Engine.from_directory(rules, backend="python", region=region, directory=directory)
    routes = engine.assess(contact).to_json()["routes"]
    return next(r for r in routes if r["service"] == "nurse")


def _services(rules: Path, directory: Directory, region: str | None, contact: Any) -> list[str]:
    engine = Engine.from_directory(rules, backend="python", region=region, directory=directory)
    return [r.service for r in engine.assess(contact).routes]


# ---------------------------------------------------------------- the region's policy


def test_a_region_declares_its_language_rights(tmp_path: Path) -> None:
    """language_rights is read from the selected region; none without a region."""
    policies = Policies.from_directory(_rules(tmp_path) / "policies")
    assert frozenset() == policies.language_rights
    assert {"fi", "sv"} == policies.with_region("kaksikielinen").language_rights
    assert {"fi"} == policies.with_region("suomenkielinen").language_rights


@pytest.mark.parametrize("value", ["fi", "[fin]", "[FI]", "[1]", "{fi: true}"])
def test_a_bad_language_rights_value_is_refused(tmp_path: Path, value: str) -> None:
    """Not a list of two-letter codes: policy-bad-value, naming the file and line."""
    rules = _rules(tmp_path)
    path = rules / "policies" / "regions" / "kaksikielinen.yaml"
    path.write_text(f"name: Kaksikielinen\nlanguage_rights: {value}\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        Policies.from_directory(rules / "policies")
    (problem,) = caught.value.problems
    assert ("policy-bad-value", path, 2) == (problem.code, problem.path, problem.line)
    assert "language_rights" in problem.message


def test_a_region_without_rights_or_targets_is_still_refused(tmp_path: Path) -> None:
    """'targets' may be left out only by a file that declares language_rights."""
    rules = _rules(tmp_path)
    path = rules / "policies" / "regions" / "kaksikielinen.yaml"
    path.write_text("name: Kaksikielinen\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        Policies.from_directory(rules / "policies")
    assert ["policy-missing-key"] == [p.code for p in caught.value.problems]


# ---------------------------------------------------------------- a right outranks


def test_a_swedish_client_in_a_bilingual_region_gets_the_swedish_speaking_nurse(
    tmp_path: Path,
) -> None:
    """n-fi is free today at 12:00, n-sv only Wed 2026-03-18, after the due date Mon
    2026-03-16. Bilingual region: the right comes first, so n-sv, with the guarantee at
    risk and the remedy (a service voucher by the due date) after it. No region, or a
    region where only Finnish is a right: the language is a preference, the due date
    wins, and the earlier Finnish slot is offered (as before)."""
    rules = _rules(tmp_path)
    directory = _directory(tmp_path, rules, sv_slot="2026-03-18T09:00")
    right = _nurse(rules, directory, "kaksikielinen", _contact())
    assert ("n-sv", "2026-03-18T09:00:00+02:00") == (right["member"], right["slot"])
    assert (DUE, True, False) == (
        right["due_date"],
        right["guarantee_at_risk"],
        right["language_right_unmet"],
    )
    assert right["language_notice"] is None
    assert right["explanation"][0] == (
        "language: speaks the client's language (sv), a right of the client in this region; "
        "nobody who does is free by the due date, and the right comes before an earlier "
        "slot in another language"
    )
    assert "service_voucher" == _services(rules, directory, "kaksikielinen", _contact())[-1]
    for region in (None, "suomenkielinen"):
        preference = _nurse(rules, directory, region, _contact())
        assert ("n-fi", "2026-03-02T12:00:00+02:00") == (preference["member"], preference["slot"])
        assert (False, False) == (
            preference["guarantee_at_risk"],
            preference["language_right_unmet"],
        )
        assert (
            "language: no nurse who speaks sv is free by the due date; offered in fi"
            in preference["explanation"]
        )


def test_a_speaker_free_by_the_due_date_wins_over_an_earlier_slot_everywhere(
    tmp_path: Path,
) -> None:
    """n-sv free Thu 2026-03-12 (before the due date 16.3.): the Swedish speaker in both
    kinds of region (language comes before time in the ranking); only the bilingual
    region calls it a right."""
    rules = _rules(tmp_path)
    directory = _directory(tmp_path, rules, sv_slot="2026-03-12T09:00")
    for region in ("kaksikielinen", None):
        nurse = _nurse(rules, directory, region, _contact())
        assert ("n-sv", False, False) == (
            nurse["member"],
            nurse["guarantee_at_risk"],
            nurse["language_right_unmet"],
        )
    right = _nurse(rules, directory, "kaksikielinen", _contact())
    assert right["explanation"][0] == (
        "language: speaks the client's language (sv), a right of the client in this region"
    )


def test_a_right_outranks_a_named_professional_who_does_not_speak_the_language(
    tmp_path: Path,
) -> None:
    """The client's own nurse n-fi (continuity) is free today; n-sv Thu 12.3. Bilingual
    region: continuity is set aside for the right, n-sv. No region: continuity first."""
    rules = _rules(tmp_path)
    directory = _directory(tmp_path, rules, sv_slot="2026-03-12T09:00")
    contact = _contact(client={"named_professionals": {"nurse": "n-fi"}})
    right = _nurse(rules, directory, "kaksikielinen", contact)
    assert "n-sv" == right["member"]
    assert right["explanation"][0].startswith("continuity: set aside; named nurse n-fi")
    preference = _nurse(rules, directory, None, contact)
    assert "n-fi" == preference["member"]
    assert preference["explanation"][0].startswith("continuity: kept")


def test_a_finnish_client_in_a_bilingual_region_has_the_same_right(tmp_path: Path) -> None:
    """The right is to Finnish or Swedish: a Finnish client whose named nurse speaks only
    Swedish gets a Finnish-speaking nurse in a bilingual region."""
    rules = _rules(tmp_path)
    directory = _directory(
        tmp_path,
        rules,
        sv_slot=None,
        only_sv='  - {id: n-sv-only, role: nurse, unit: hs, languages: [sv], slots: ["2026-03-02T11:00"]}',
    )
    contact = _contact("fi", client={"named_professionals": {"nurse": "n-sv-only"}})
    assert "n-fi" == _nurse(rules, directory, "kaksikielinen", contact)["member"]
    assert "n-sv-only" == _nurse(rules, directory, None, contact)["member"]


# ---------------------------------------------------------------- a right not met


def test_no_swedish_speaker_the_route_says_the_right_is_not_met_in_swedish(
    tmp_path: Path,
) -> None:
    """No nurse speaks Swedish: the client still gets the Finnish-speaking nurse's slot,
    the route is flagged, and its language step is in Swedish (all three in JSON)."""
    rules = _rules(tmp_path)
    directory = _directory(tmp_path, rules, sv_slot=None)
    nurse = _nurse(rules, directory, "kaksikielinen", _contact())
    assert ("n-fi", True) == (nurse["member"], nurse["language_right_unmet"])
    swedish = (
        "språk: klienten har rätt till service på svenska, men det finns ingen sjukskötare "
        "som ger service på svenska; tiden erbjuds på finska. Den språkliga rättigheten "
        "uppfylls inte."
    )
    assert swedish == nurse["explanation"][0]
    notice = nurse["language_notice"]
    assert swedish == notice["sv"]
    assert notice["fi"].startswith("kieli: asiakkaalla on oikeus palveluun ruotsiksi")
    assert notice["fi"].endswith("Kielellinen oikeus ei toteudu.")
    assert notice["en"].startswith("language: the client has a right to service in Swedish")
    # A preference only: no flag, the English step as before.
    plain = _nurse(rules, directory, None, _contact())
    assert (False, None) == (plain["language_right_unmet"], plain["language_notice"])
    assert (
        "language: no nurse in the directory speaks sv; offered in fi" == (plain["explanation"][0])
    )


def test_urgent_care_does_not_wait_for_the_language(tmp_path: Path) -> None:
    """Pain 8 is urgent: due the same day. n-sv is free only tomorrow: the Finnish-speaking
    nurse today, and the route says in Swedish that the right is not met."""
    rules = _rules(tmp_path)
    directory = _directory(tmp_path, rules, sv_slot="2026-03-03T09:00")
    contact = _contact(answers={"pain_score": 8, "symptom_duration": "hours"})
    nurse = _nurse(rules, directory, "kaksikielinen", contact)
    assert ("n-fi", "2026-03-02", False, True) == (
        nurse["member"],
        nurse["due_date"],
        nurse["guarantee_at_risk"],
        nurse["language_right_unmet"],
    )
    assert nurse["explanation"][0].startswith(
        "språk: klienten har rätt till service på svenska, men ingen sjukskötare som ger "
        "service på svenska är ledig i tid; tiden erbjuds på finska."
    )


def test_the_catalogue_router_knows_no_languages(tmp_path: Path) -> None:
    """Without a directory nobody is booked: routes keep kind, service and reason."""
    rules = _rules(tmp_path)
    engine = Engine.from_directory(rules, backend="python", region="kaksikielinen")
    data = engine.assess(_contact()).to_json()
    assert all({"kind", "service", "reason"} == set(r) for r in data["routes"])


# ---------------------------------------------------------------- any directory, any contact

_SHARED = Path(tempfile.mkdtemp(prefix="onecontact-language-rights-"))
BILINGUAL = Engine.from_directory(_rules(_SHARED), backend="python", region="kaksikielinen")
QUESTIONNAIRE = BILINGUAL.ruleset.questionnaire


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directories(), first_contacts(QUESTIONNAIRE), st.sampled_from(["fi", "sv", "en"]))
def test_a_right_is_met_or_the_route_says_so(
    data: dict[str, Any], raw: dict[str, Any], language: str
) -> None:
    """In a bilingual region, for any small directory and contact: a booked member who
    does not speak a Finnish or Swedish client's language is flagged, with the notice in
    all three languages and in the client's language in the explanation; a member who
    does is never flagged; English is a preference there (never flagged). The built-in
    index and the plain protocol still rank alike."""
    directory = Directory.from_data(data, rules=BUNDLED_RULES)
    built_in = Engine(BILINGUAL.ruleset, backend="python", directory=directory)
    protocol = Engine(BILINGUAL.ruleset, backend="python", directory=Delegate(directory))
    raw = {
        **raw,
        "client": {**raw["client"], "language": language},
        "received_at": "2026-03-0{}T{:02d}:30:00+02:00".format(
            2 + len(raw["contact_id"]) % 7, 7 + len(raw["contact_id"]) % 10
        ),
    }
    raw.pop("municipality", None)
    a = built_in.assess(raw)
    assert a.routes == protocol.assess(raw).routes
    members = {m["id"]: m for m in data["members"]}
    for route in a.routes:
        if route.member is None:
            assert not route.language_right_unmet
            continue
        spoken = set(members[route.member].get("languages") or ["fi"])
        unmet = language in ("fi", "sv") and language not in spoken
        assert unmet == route.language_right_unmet, route
        if unmet:
            assert route.language_notice is not None
            assert route.language_notice.complete
            assert route.language_notice.get(language) in route.explanation
        else:
            assert route.language_notice is None
