"""Examples in the docs run as tests, so the docs cannot drift from the code."""

from __future__ import annotations

import doctest
import re
import shutil
import sys
from pathlib import Path

import pytest

from .conftest import REPO

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _run(path: Path) -> doctest.TestResults:
    parser = doctest.DocTestParser()
    text = path.read_text(encoding="utf-8")
    # Only the ```pycon blocks are examples; prose around them is not doctest input.
    blocks = re.findall(r"```pycon\n(.*?)```", text, flags=re.S)
    test = parser.get_doctest("\n".join(blocks), {}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize(
    "page",
    [
        "docs/reference/python-api.md",
        "docs/reference/contact.md",
        "docs/reference/contact-input.md",
        "docs/tutorial/embed-the-engine.md",
        "docs/how-to/explain-a-decision.md",
        "docs/how-to/build-an-adaptive-contact-form.md",
        "docs/how-to/offer-the-contact-form.md",
        "docs/how-to/measure-the-impact-of-a-rule-change.md",
        "docs/how-to/learn-from-professionals-overrides.md",
        "docs/reference/directory.md",
        "docs/reference/next-questions.md",
        "docs/how-to/offer-the-contact-form-as-fhir.md",
        "docs/how-to/send-the-decision-as-a-fhir-bundle.md",
        "docs/reference/fhir.md",
        "docs/how-to/plug-into-a-record-system-with-cds-hooks.md",
    ],
)
def test_doc_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every >>> example of the page gives the output the page shows."""
    path = REPO / page
    text = path.read_text(encoding="utf-8")
    module = re.search(r"Create `triage.py`:\n\n```python\n(.*?)```", text, flags=re.S)
    if module is not None:  # the tutorial's service module, as the reader would save it
        (tmp_path / "triage.py").write_text(module.group(1), encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        monkeypatch.delitem(sys.modules, "triage", raising=False)
    # The tutorial's broken copy of the rules, made as its shell step says.
    broken = tmp_path / "rules-broken"
    shutil.copytree(REPO / "rules", broken)
    target = broken / "acute_symptom.yaml"
    target.write_text(
        target.read_text(encoding="utf-8").replace(
            "services: [nurse]", "services: [nurse, nurse_on_call]"
        ),
        encoding="utf-8",
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / "rules").symlink_to(REPO / "rules")
    (work / "examples").symlink_to(REPO / "examples")
    (work / "rules-broken").symlink_to(broken)
    monkeypatch.chdir(work)
    result = _run(path)
    assert result.attempted > 0
    assert 0 == result.failed
