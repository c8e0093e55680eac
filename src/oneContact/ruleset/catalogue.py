"""The service catalogue: the needs and services a rule may name, and the defaults of the
hit policy (``catalogue.yaml``).

:func:`load_catalogue` reads only this file (reports and the directory need the services'
kinds and names, not the rules); :func:`read_catalogue` is the same reading inside
:func:`~oneContact.ruleset.load_ruleset`, and :func:`check_treatment_clocks` checks the
catalogue's treatment clocks against the policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import attrs

from .. import _yaml
from .._problems import ProblemCollector
from .._text import Label
from ..clocks import Policies
from ..errors import did_you_mean
from ._reading import entries, read_label
from .model import URGENCY_LEVELS, Urgency

__all__ = [
    "CARE_KINDS",
    "SERVICE_KINDS",
    "Catalogue",
    "Service",
    "check_treatment_clocks",
    "load_catalogue",
    "read_catalogue",
]

SERVICE_KINDS = ("emergency", "team_member", "digital_channel", "family_centre", "remedy")
#: The kinds of service whose non-urgent routes are care under the care guarantee unless
#: the catalogue says ``care_guarantee: false``.
CARE_KINDS = ("team_member", "family_centre")


@attrs.frozen
class Service:
    """A destination in the service catalogue."""

    id: str
    kind: str
    name: Label
    care_guarantee: bool = False
    """Whether a non-urgent route here is care under the care guarantee: true by default
    for team members and family-centre services, unless the catalogue says
    ``care_guarantee: false`` (social services with clocks of their own, groups, ...)."""
    treatment_clock: str | None = None
    """The treatment clock a non-urgent route here starts when no fired rule starts one
    (the service's ``treatment_clock``, else the catalogue's default)."""


@attrs.frozen
class Catalogue:
    """Needs and services a rule may name, and the defaults of the hit policy."""

    needs: Mapping[str, Label]
    services: Mapping[str, Service]
    default_urgency: Urgency
    fallback_service: str
    default_treatment_clock: str | None = None
    """``defaults.treatment_clock``: the treatment clock of a care-guarantee service that
    names none of its own."""


def load_catalogue(root: Path | str) -> Catalogue:
    """Only the service catalogue (``catalogue.yaml``) of the rules directory *root*, for
    readers that need the services' kinds and names but not the rules (reports). Raises
    RuleError with every problem of that file."""
    c = ProblemCollector()
    catalogue = read_catalogue(Path(root), c)
    c.raise_if_any()
    return catalogue


def read_catalogue(root: Path, c: ProblemCollector) -> Catalogue:
    """``catalogue.yaml`` of the rules directory *root*, its problems noted in *c*."""
    path = root / "catalogue.yaml"
    empty = Catalogue({}, {}, "non_urgent", "")
    if not path.exists() and not path.is_symlink():
        c.add("missing-file", "every rules directory needs catalogue.yaml", path)
        return empty
    doc = _yaml.load_yaml(path)
    if not isinstance(doc, Mapping):
        c.add("not-a-mapping", "catalogue.yaml must hold 'defaults', 'needs' and 'services'", path)
        return empty
    c.unknown_keys(doc, ("defaults", "needs", "services"), path, "catalogue.yaml")
    needs: dict[str, Label] = {}
    for nid, item, where in entries(doc, "needs", "need", ("id", "label"), path, c):
        needs[nid] = read_label(item.get("label"), path, where, c, f"need {nid!r}")
    services: dict[str, Service] = {}
    service_keys = ("id", "kind", "name", "care_guarantee", "treatment_clock")
    for sid, item, where in entries(doc, "services", "service", service_keys, path, c):
        kind = str(item.get("kind"))
        if kind not in SERVICE_KINDS:
            c.add(
                "bad-service-kind",
                f"service {sid!r} has kind {kind!r}; use one of {', '.join(SERVICE_KINDS)}",
                path,
                where,
                suggestion=did_you_mean(kind, SERVICE_KINDS),
            )
        care = kind in CARE_KINDS
        if "care_guarantee" in item:
            if not isinstance(item["care_guarantee"], bool):
                c.add(
                    "bad-care-guarantee",
                    f"service {sid!r}: care_guarantee is true or false",
                    path,
                    _yaml.value_position(item, "care_guarantee"),
                )
            elif item["care_guarantee"] and kind not in CARE_KINDS:
                c.add(
                    "bad-care-guarantee",
                    f"service {sid!r}: only a team member or a family-centre service can be "
                    "care under the care guarantee; remove care_guarantee",
                    path,
                    _yaml.value_position(item, "care_guarantee"),
                )
            else:
                care = bool(item["care_guarantee"])
        own_clock = item.get("treatment_clock")
        if own_clock is not None and not care:
            c.add(
                "bad-care-guarantee",
                f"service {sid!r}: a treatment_clock is for care under the care guarantee; "
                "remove it (or care_guarantee: false)",
                path,
                _yaml.value_position(item, "treatment_clock"),
            )
            own_clock = None
        services[sid] = Service(
            sid,
            kind,
            read_label(item.get("name"), path, where, c, f"service {sid!r}"),
            care_guarantee=care,
            treatment_clock=None if own_clock is None else str(own_clock),
        )
    defaults = doc.get("defaults") or {}
    default_urgency: Urgency = "non_urgent"
    fallback = ""
    default_clock: str | None = None
    if not isinstance(defaults, Mapping):
        c.add("not-a-mapping", "'defaults' must map urgency and fallback_service", path)
    else:
        c.unknown_keys(
            defaults, ("urgency", "fallback_service", "treatment_clock"), path, "defaults"
        )
        if defaults.get("treatment_clock") is not None:
            default_clock = str(defaults["treatment_clock"])
        urgency = defaults.get("urgency", "non_urgent")
        if urgency not in URGENCY_LEVELS:
            c.add(
                "unknown-urgency",
                f"default urgency {urgency!r}; use one of {', '.join(URGENCY_LEVELS)}",
                path,
                _yaml.value_position(defaults, "urgency"),
                suggestion=did_you_mean(str(urgency), URGENCY_LEVELS),
            )
        else:
            default_urgency = urgency
        fallback = str(defaults.get("fallback_service", ""))
        if fallback not in services:
            c.add(
                "unknown-service",
                f"fallback_service {fallback!r} is not in the catalogue",
                path,
                _yaml.key_position(defaults, "fallback_service"),
                suggestion=did_you_mean(fallback, services),
            )
        elif services[fallback].kind not in ("team_member", "family_centre"):
            c.add(
                "bad-fallback",
                "fallback_service must be a team member or family-centre service that any "
                "client can reach",
                path,
                _yaml.key_position(defaults, "fallback_service"),
            )
    services = {
        sid: attrs.evolve(service, treatment_clock=service.treatment_clock or default_clock)
        if service.care_guarantee
        else service
        for sid, service in services.items()
    }
    return Catalogue(
        MappingProxyType(needs),
        MappingProxyType(services),
        default_urgency,
        fallback,
        default_clock,
    )


def check_treatment_clocks(
    root: Path, catalogue: Catalogue, policies: Policies, c: ProblemCollector
) -> None:
    """Every treatment clock the catalogue names is a clock marked ``treatment: true``."""
    path = root / "catalogue.yaml"
    named = {service.treatment_clock for service in catalogue.services.values()}
    named.add(catalogue.default_treatment_clock)
    for clock in sorted(n for n in named if n is not None):
        if clock in policies.treatment_clocks:
            continue
        known = clock in policies.clock_ids
        c.add(
            "bad-treatment-clock",
            f"treatment clock {clock!r} "
            + (
                "is not marked 'treatment: true' in its policy file"
                if known
                else "is not a clock of rules/policies"
            ),
            path,
            suggestion=None if known else did_you_mean(clock, policies.treatment_clocks),
        )
