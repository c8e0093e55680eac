"""The service's operations: Prometheus metrics, the decision log, and reloading the rules
(in process, and against a running ``onecontact serve`` with several workers: every
worker converges, a broken directory never replaces a good one, SIGHUP)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from oneContact import ContactError, Engine, bundled_rules_directory
from oneContact.service import ServiceConfig, create_app, pseudonym

from ..conftest import REPO, fresh_ledger_url
from .conftest import running_service

CONTACT = json.loads((REPO / "examples" / "contact.json").read_text("utf-8"))
CDS_REQUEST = json.loads((REPO / "examples" / "cds-hooks" / "request.json").read_text("utf-8"))
RULE_FILE = "chronic_followup.yaml"
# chronic.assess, which the example contact fires: its urgency, then its condition.
NON_URGENT = "    when: \"'chronic_followup' in concerns\"\n    urgency: non_urgent\n"
URGENT = NON_URGENT.replace("non_urgent", "urgent")
BROKEN = URGENT.replace("in concerns", "in concernz")
DECISION_FIELDS = {"contact", "ruleset_digest", "urgency", "fired", "duration_ms"}


def rules_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_directory(), rules)
    return rules


def edit(rules: Path, old: str, new: str) -> None:
    """Replace *old* by *new* in the rule file (which must hold *old*)."""
    path = rules / RULE_FILE
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def digest_of(rules: Path) -> str:
    return Engine.from_directory(rules, backend="python").digest


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples called *name* in a Prometheus exposition, by their labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
def app_client(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    rules = rules_copy(tmp_path)
    config = ServiceConfig(rules=rules, db=f"sqlite:///{tmp_path / 'l.db'}", backend="python")
    with TestClient(create_app(config)) as client:
        yield client, rules


# --------------------------------------------------------------- metrics


def test_metrics_count_assessments_routes_and_errors_without_personal_data(
    app_client: tuple[TestClient, Path],
) -> None:
    client, rules = app_client
    expected = Engine.from_directory(rules, backend="python").assess(CONTACT)
    assert client.post("/contacts", json=CONTACT).status_code == 201
    assert client.get(f"/contacts/{CONTACT['contact_id']}/clocks").status_code == 200
    assert client.get("/contacts/nobody-7/clocks").status_code == 404
    bad = {**CONTACT, "channel": "fax"}
    assert client.post("/assess", json=bad).status_code == 422
    assert client.get("/no/such/path-8").status_code == 404
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert samples(text, "onecontact_assessments_total") == {(("urgency", expected.urgency),): 1.0}
    assert samples(text, "onecontact_assessment_seconds_count") == {(): 1.0}
    latency = samples(text, "onecontact_http_request_seconds_count")
    clocks = (("method", "GET"), ("route", "/contacts/{contact_id}/clocks"))
    assert latency[(*clocks, ("status", "200"))] == 1.0
    assert latency[(*clocks, ("status", "404"))] == 1.0
    assert latency[(("method", "GET"), ("route", "<unmatched>"), ("status", "404"))] == 1.0
    errors = samples(text, "onecontact_errors_total")
    with pytest.raises(ContactError) as refused:
        Engine.from_directory(rules, backend="python").validate(bad)
    expected_errors = {(("code", problem.code),): 1.0 for problem in refused.value.problems}
    expected_errors[(("code", "unknown-contact"),)] = 1.0
    expected_errors[(("code", "http-404"),)] = 1.0
    assert errors == expected_errors
    assert samples(text, "onecontact_ruleset_workers") == {
        (("digest", expected.ruleset_digest),): 1.0
    }
    for personal in (CONTACT["contact_id"], "nobody-7", "path-8", "fax"):
        assert personal not in text


# --------------------------------------------------------------- the decision log


def test_the_decision_log_has_one_line_per_assessment_and_nothing_else(
    app_client: tuple[TestClient, Path],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, rules = app_client
    caplog.set_level(logging.INFO, logger="oneContact.service.decisions")
    expected = Engine.from_directory(rules, backend="python").assess(CONTACT)
    assert client.post("/assess", json=CONTACT).status_code == 200
    assert (
        client.post("/cds-services/onecontact-first-contact", json=CDS_REQUEST).status_code == 200
    )
    lines = [r for r in caplog.records if r.name == "oneContact.service.decisions"]
    assert len(lines) == 2
    first = json.loads(lines[0].getMessage())
    assert set(first) == DECISION_FIELDS
    assert first["ruleset_digest"] == expected.ruleset_digest
    assert first["urgency"] == expected.urgency
    assert first["fired"] == [fired.rule for fired in expected.fired]
    assert first["duration_ms"] > 0
    assert len(first["contact"]) == 32
    assert first["contact"] != CONTACT["contact_id"]
    assert set(json.loads(lines[1].getMessage())) == DECISION_FIELDS
    for record in lines:
        assert CONTACT["contact_id"] not in record.getMessage()
        assert "kaatui" not in record.getMessage()  # the contact's free text


def test_a_keyed_pseudonym_joins_the_log_to_a_contact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ONECONTACT_PSEUDONYM_KEY", "the region's key")
    caplog.set_level(logging.INFO, logger="oneContact.service.decisions")
    log = tmp_path / "decisions.jsonl"
    config = ServiceConfig(
        rules=bundled_rules_directory(),
        db=f"sqlite:///{tmp_path / 'l.db'}",
        backend="python",
        decision_log=str(log),
    )
    with TestClient(create_app(config)) as client:
        assert client.post("/assess", json=CONTACT).status_code == 200
    written = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert [line["contact"] for line in written] == [
        pseudonym(CONTACT["contact_id"], "the region's key")
    ]
    assert pseudonym(CONTACT["contact_id"], "another key") != written[0]["contact"]


# --------------------------------------------------------------- reloading, in process


def test_a_reload_swaps_the_rules_and_a_broken_directory_changes_nothing(
    app_client: tuple[TestClient, Path],
) -> None:
    client, rules = app_client
    before = client.get("/readyz").json()["ruleset_digest"]
    assert before == digest_of(rules)
    edit(rules, NON_URGENT, URGENT)
    edited = Engine.from_directory(rules, backend="python")
    answer = client.post("/admin/reload")
    assert answer.status_code == 200
    assert answer.json()["digest"] == edited.digest != before
    assert answer.json()["converged"] is True
    assert client.get("/readyz").json()["ruleset_digest"] == edited.digest
    assert client.post("/assess", json=CONTACT).json()["urgency"] == edited.assess(CONTACT).urgency
    metrics = client.get("/metrics").text
    workers = samples(metrics, "onecontact_ruleset_workers")
    assert workers[(("digest", edited.digest),)] == 1.0
    assert workers[(("digest", before),)] == 0.0

    edit(rules, URGENT, BROKEN)
    refused = client.post("/admin/reload")
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "rules-invalid"
    assert any(f"{RULE_FILE}:14" in problem for problem in body["problems"])
    assert client.get("/readyz").json()["ruleset_digest"] == edited.digest


def test_after_a_reload_a_record_system_still_gets_the_recorded_cards(
    app_client: tuple[TestClient, Path],
) -> None:
    client, rules = app_client
    hook = "/cds-services/onecontact-first-contact"
    first = client.post(hook, json=CDS_REQUEST)
    assert first.status_code == 200
    edit(rules, NON_URGENT, URGENT)
    assert client.post("/admin/reload").status_code == 200
    # The record is opened again under the new rules: the recorded cards, not a refusal.
    again = client.post(hook, json=CDS_REQUEST)
    assert again.status_code == 200
    notice, *cards = again.json()["cards"]
    assert "uuid" not in notice
    assert digest_of(rules)[:12] in notice["detail"]
    answerable = [c["uuid"] for c in first.json()["cards"] if "uuid" in c]
    assert [c["uuid"] for c in cards if "uuid" in c] == answerable


def test_the_pages_name_the_places_of_the_directory_in_force(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    directory = tmp_path / "directory.yaml"
    shutil.copyfile(REPO / "examples" / "directory.yaml", directory)
    config = ServiceConfig(
        rules=rules, directory=directory, db=f"sqlite:///{tmp_path / 'l.db'}", backend="python"
    )
    with TestClient(create_app(config)) as client:
        text = directory.read_text("utf-8")
        kivilahti = "  - {id: kivilahti, name: Kivilahti, neighbours: [rannikko]}"
        assert kivilahti in text
        assert "name: Kivilahden terveysasema}" in text
        directory.write_text(
            text.replace(kivilahti, f"{kivilahti}\n  - {{id: metsola, name: Metsola}}").replace(
                "name: Kivilahden terveysasema}", "name: Kivilahden sote-asema}"
            ),
            "utf-8",
        )
        # Edited but not reloaded: the routing still has the old directory, and so do
        # the form, the worklist's filters and the names on the pages.
        assert "Metsola" not in client.get("/").text
        assert client.get("/worklist", params={"municipality": "metsola"}).status_code == 422
        assert "Kivilahden terveysasema" in client.get("/team/worklist").text
        assert client.post("/admin/reload").status_code == 200
        assert "Metsola" in client.get("/").text
        assert client.get("/worklist", params={"municipality": "metsola"}).status_code == 200
        worklist = client.get("/team/worklist").text
        assert "Kivilahden sote-asema" in worklist
        assert "Kivilahden terveysasema" not in worklist


def test_a_reload_that_changes_the_policies_is_refused(
    app_client: tuple[TestClient, Path],
) -> None:
    client, rules = app_client
    before = client.get("/readyz").json()["ruleset_digest"]
    policy = rules / "policies" / "health.yaml"
    policy.write_text(policy.read_text("utf-8") + "\n# a changed policy file\n", "utf-8")
    refused = client.post("/admin/reload")
    assert refused.status_code == 409
    assert refused.json()["code"] == "policies-changed"
    assert client.get("/readyz").json()["ruleset_digest"] == before


def test_the_admin_call_is_loopback_only_or_asks_for_the_token(
    app_client: tuple[TestClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = app_client
    proxied = client.post(
        "/admin/reload", headers={"x-forwarded-for": "203.0.113.9", "accept-language": "sv"}
    )
    assert proxied.status_code == 403
    assert proxied.json()["code"] == "admin-loopback"
    assert proxied.json()["message"] == proxied.json()["messages"]["sv"]
    assert set(proxied.json()["messages"]) == {"fi", "sv", "en"}
    monkeypatch.setenv("ONECONTACT_ADMIN_TOKEN", "s3cret-token")
    missing = client.post("/admin/reload")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/admin/reload", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.post("/admin/reload", headers={"authorization": "Bearer s3cret-token"})
    assert right.status_code == 200
    assert "s3cret-token" not in right.text


# --------------------------------------------------------------- a running server


def readyz_by_worker(base: str, want: int, tries: int = 400) -> dict[int, str]:
    """The digest each worker answers /readyz with (a new connection each time, so the
    kernel hands them to every worker), until *want* workers answered."""
    seen: dict[int, str] = {}
    for _ in range(tries):
        try:
            ready = httpx.get(f"{base}/readyz", timeout=30).json()
        except httpx.TransportError:
            # During a SIGHUP restart, a worker that is stopping closes a connection it
            # had just accepted without answering (uvicorn); a client tries again.
            continue
        seen[ready["worker"]] = ready["ruleset_digest"]
        if len(seen) >= want:
            break
    return seen


def wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds} s")
        time.sleep(0.5)


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text("utf-8")
    return int(stat.rsplit(")", 1)[1].split()[1])


def all_on(base: str, workers: int, digest: str, not_pids: Collection[int] = ()) -> Any:
    """The workers' digests when *workers* distinct workers (none of *not_pids*) answer
    /readyz and all answer *digest*; else None."""
    try:
        ready = httpx.get(f"{base}/metrics", timeout=30).text
    except httpx.TransportError:  # a stopping worker's connection, as above
        return None
    counts = samples(ready, "onecontact_ruleset_workers")
    if counts.get((("digest", digest),)) != workers:
        return None
    seen = readyz_by_worker(base, workers, tries=40)
    if len(seen) == workers and set(seen.values()) == {digest} and not set(seen) & set(not_pids):
        return seen
    return None


@pytest.mark.postgres
@pytest.mark.slow  # about 4 minutes, nearly all of it two rounds of SIGHUP worker restarts
def test_every_worker_of_onecontact_serve_converges_on_a_reload(tmp_path: Path) -> None:
    for url in fresh_ledger_url("postgresql", tmp_path, "ops"):
        converge_four_workers(tmp_path, url)


def converge_four_workers(tmp_path: Path, url: str) -> None:
    """Reloads by the admin call and by SIGHUP against ``onecontact serve --workers 4``
    on the ledger *url*."""
    rules = rules_copy(tmp_path)
    before = digest_of(rules)
    log = tmp_path / "decisions.jsonl"
    options = ("--rules", str(rules), "--workers", "4", "--backend", "python",
               "--db", url, "--decision-log", str(log))  # fmt: skip
    with running_service(tmp_path, *options, ready_s=120) as base:
        first = wait_for(lambda: all_on(base, 4, before), 120, "4 workers on the rules")
        assert len(first) == 4

        edit(rules, NON_URGENT, URGENT)
        edited = digest_of(rules)
        answer = httpx.post(f"{base}/admin/reload", timeout=60)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["digest"] == edited
        assert body["converged"] is True
        assert sorted(w["pid"] for w in body["workers"]) == sorted(first)
        assert {w["digest"] for w in body["workers"]} == {edited}
        seen = readyz_by_worker(base, 4)
        assert sorted(seen) == sorted(first)
        assert set(seen.values()) == {edited}
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        counts = samples(metrics, "onecontact_ruleset_workers")
        assert counts[(("digest", edited),)] == 4.0
        assert counts.get((("digest", before),), 0.0) == 0.0

        edit(rules, URGENT, BROKEN)
        refused = httpx.post(f"{base}/admin/reload", timeout=60)
        assert refused.status_code == 422
        assert any(f"{RULE_FILE}:14" in p for p in refused.json()["problems"])
        assert set(readyz_by_worker(base, 4).values()) == {edited}

        # SIGHUP: uvicorn replaces every worker; a good directory is published ...
        edit(rules, BROKEN, NON_URGENT)
        supervisor = parent_of(next(iter(first)))
        os.kill(supervisor, signal.SIGHUP)
        again = wait_for(
            lambda: all_on(base, 4, before, set(first)), 180, "4 new workers on the rules"
        )
        # ... and a broken one never: the new workers start on the last published.
        edit(rules, NON_URGENT, BROKEN)
        os.kill(supervisor, signal.SIGHUP)
        wait_for(lambda: all_on(base, 4, before, set(again)), 180, "4 new workers, old rules")

        contacts = [{**CONTACT, "contact_id": f"c-{i}"} for i in range(8)]
        for contact in contacts:
            assert httpx.post(f"{base}/assess", json=contact, timeout=30).status_code == 200
        # Counted by whichever workers assessed (and those SIGHUP retired): all of them.
        urgency = Engine.from_directory(bundled_rules_directory(), backend="python").assess(CONTACT)
        metrics = httpx.get(f"{base}/metrics", timeout=30).text
        assert samples(metrics, "onecontact_assessments_total") == {
            (("urgency", urgency.urgency),): float(len(contacts))
        }
    lines = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    assert len(lines) == len(contacts)
    assert all(set(line) == DECISION_FIELDS for line in lines)
    assert len({line["contact"] for line in lines}) == len(contacts)


def test_sighup_reloads_a_single_worker(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    options = ("--rules", str(rules), "--backend", "python",
               "--db", f"sqlite:///{tmp_path / 'l.db'}")  # fmt: skip
    with running_service(tmp_path, *options) as base:
        ready = httpx.get(f"{base}/readyz", timeout=30).json()
        edit(rules, NON_URGENT, URGENT)
        edited = digest_of(rules)
        os.kill(ready["worker"], signal.SIGHUP)

        def swapped() -> bool:
            now = httpx.get(f"{base}/readyz", timeout=30).json()
            return bool(now["ruleset_digest"] == edited and now["worker"] == ready["worker"])

        wait_for(swapped, 60, "the rules reloaded on SIGHUP")
        edit(rules, URGENT, BROKEN)
        os.kill(ready["worker"], signal.SIGHUP)
        time.sleep(3)
        still = httpx.get(f"{base}/readyz", timeout=30).json()
        assert still == {**ready, "ruleset_digest": edited}


# --------------------------------------------------------------- a kept state directory


def _serve_refused(cwd: Path, *options: str) -> str:
    """``onecontact serve *options`` expected to refuse at once: its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "oneContact.cli", "serve", "--port", "1", *options],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def test_a_kept_state_serves_the_last_published_rules_after_a_restart(tmp_path: Path) -> None:
    rules = rules_copy(tmp_path)
    state = tmp_path / "state"
    options = ("--rules", str(rules), "--backend", "python", "--state", str(state),
               "--db", f"sqlite:///{tmp_path / 'l.db'}", "--pool-size", "3",
               "--explain-url", "https://sote.example/team/contacts/{contact_id}")  # fmt: skip
    good = digest_of(rules)
    with running_service(tmp_path, *options) as base:
        assert httpx.get(f"{base}/readyz", timeout=30).json()["ruleset_digest"] == good
        cards = httpx.post(
            f"{base}/cds-services/onecontact-first-contact", json=CDS_REQUEST, timeout=30
        ).json()["cards"]
        links = {link["url"] for card in cards for link in card.get("links", [])}
        # the example form's QuestionnaireResponse id is the contact's id
        assert links == {"https://sote.example/team/contacts/doc-cds-1"}
        # one service per state directory
        assert "used by another running onecontact serve" in _serve_refused(tmp_path, *options)
    edit(rules, NON_URGENT, BROKEN)  # the rules no longer load
    with running_service(tmp_path, *options) as base:
        # the full restart serves what was published, and says why in its log
        assert httpx.get(f"{base}/readyz", timeout=30).json()["ruleset_digest"] == good
    log = "".join(f.read_text("utf-8") for f in tmp_path.glob("serve-*.log"))
    assert "serving the last published rules" in log
    assert f"{RULE_FILE}:" in log


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--pool-size", "1", "--pool-size 2-1000"),
        ("--explain-url", "https://sote.example/team/contacts", "{contact_id} placeholder"),
    ],
)
def test_serve_refuses_a_bad_option_before_it_starts(
    tmp_path: Path, option: str, value: str, said: str
) -> None:
    assert said in _serve_refused(tmp_path, "--backend", "python", option, value)


def test_every_field_of_the_configuration_reaches_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oneContact.errors import ArgumentError, LedgerArgumentError
    from oneContact.service import CONFIG_VARIABLE, app_from_environment, config_json

    config = ServiceConfig(
        rules=rules_copy(tmp_path), db=f"sqlite:///{tmp_path / 'l.db'}", backend="python",
        directory=REPO / "examples" / "directory.yaml", region=None,
        base_url="https://sote.example/fhir", decision_log=None, pool_size=7,
        explain_url="https://sote.example/team/contacts/{contact_id}", state=tmp_path / "s",
    )  # fmt: skip
    monkeypatch.setenv(CONFIG_VARIABLE, config_json(config))
    app = app_from_environment()
    assert app.state.parts.config == config
    # the values are used, not only carried: a pool size the ledger refuses, a bad link
    for bad, refused in (
        ({"pool_size": 1}, LedgerArgumentError),
        ({"explain_url": "https://sote.example/x"}, ArgumentError),
    ):
        monkeypatch.setenv(CONFIG_VARIABLE, config_json(attrs.evolve(config, **bad)))
        with pytest.raises(refused):
            app_from_environment()
