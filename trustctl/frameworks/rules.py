"""The organization's judging rules, checked against the catalogs: which requirements are in scope or do
not apply (with a justification), its HIPAA addressable decisions, how long each document kind stays
fresh, and the controls management's narratives and CUECs name.

The config layer cannot see the catalogs, so what it declares about them is validated here, once, when
the config is loaded (`validate`) and whenever readiness is judged (`rules_of`): an unknown framework or
requirement, an exclusion of a mandatory ISO 27001 clause, a decision on a specification that is not
addressable, or a review period longer than the catalog's maximum is a ConfigError naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from trustctl.config import AddressableDecision, Config, FrameworksConfig, FrameworkScope
from trustctl.controls.catalog import Catalog, load_catalog
from trustctl.errors import ConfigError
from trustctl.frameworks.loader import load_frameworks

# ISO/IEC 27001 clauses 4 to 10 are mandatory: only Annex A controls may be excluded (with a reason).
MANDATORY_GROUPS = {"iso27001_2022": "ISMS clauses"}
DECISION_DOCUMENT = "risk-assessment"  # where HIPAA asks an addressable decision to be documented


@dataclass(frozen=True)
class Rules:
    """What readiness is judged by, besides the evidence."""

    frameworks: FrameworksConfig = field(default_factory=FrameworksConfig)
    scope: Mapping[str, FrameworkScope] = field(default_factory=dict)
    review_limits: Mapping[str, int] = field(default_factory=dict)  # document kind -> max review days

    def not_applicable(self, framework: str) -> Mapping[str, str]:
        found = self.scope.get(framework)
        return found.not_applicable if found else {}

    def decision(self, framework: str, requirement: str) -> AddressableDecision | None:
        found = self.scope.get(framework)
        return found.addressable.get(requirement) if found else None


def catalog_review_limits() -> dict[str, int]:
    return {kind: k.max_review_days for kind, k in load_catalog().document_kinds.items()}


def review_limits(config: Config) -> dict[str, int]:
    """The catalog's maximum review period per document kind, shortened by [policy] document_review_days."""
    limits = catalog_review_limits()
    for kind, days in config.policy.document_review_days.items():
        if kind not in limits:
            raise ConfigError(
                config.source,
                f"[policy] document_review_days names unknown document kind '{kind}'",
                f"Use one of {', '.join(sorted(limits))}.",
            )
        if days > limits[kind]:
            raise ConfigError(
                config.source,
                f"[policy] document_review_days.{kind} = {days} is longer than the {limits[kind]}-day maximum "
                f"for {kind} documents",
                "It may only shorten the review period; remove it or give a smaller number.",
            )
        limits[kind] = days
    return limits


def _unknown_control(catalog: Catalog, control_id: str) -> str | None:
    """Why `control_id` is not a control of the catalog (renamed or unknown), or None."""
    if control_id in catalog.ids:
        return None
    if control_id in catalog.redirects:
        return f"'{control_id}' was renamed {catalog.redirects[control_id]}: use that id"
    return f"unknown control '{control_id}' (see `trustctl controls list` for the ids)"


def _check_controls(config: Config) -> None:
    """[controls.ID] narratives and the controls [system] cuecs relate to name catalog controls."""
    catalog = load_catalog()
    for control_id in config.controls:
        problem = _unknown_control(catalog, control_id)
        if problem:
            raise ConfigError(config.source, f"[controls.{control_id}]: {problem}")
    system = config.system
    where = config.base_dir / system.file if system.file else config.source
    for cuec in system.cuecs:
        for control_id in cuec.controls:
            problem = _unknown_control(catalog, control_id)
            if problem:
                raise ConfigError(where, f"[system] cuecs {cuec.id} controls: {problem}")


def _check_scope(config: Config) -> None:
    frameworks = load_frameworks()
    for framework_id, scope in config.scope.items():
        where = f"[scope.{framework_id}]"
        if framework_id not in frameworks:
            raise ConfigError(
                config.source, f"{where}: unknown framework", f"Use one of {', '.join(sorted(frameworks))}."
            )
        framework = frameworks[framework_id]
        requirements = {r.id: r for r in framework.requirements}
        for requirement_id, reason in scope.not_applicable.items():
            found = requirements.get(requirement_id)
            if found is None:
                raise ConfigError(
                    config.source,
                    f"{where} not_applicable: {framework_id} has no requirement '{requirement_id}'",
                    "See `trustctl frameworks show " + framework_id + "` for the ids.",
                )
            if found.group and found.group == MANDATORY_GROUPS.get(framework_id):
                raise ConfigError(
                    config.source,
                    f"{where} not_applicable: {requirement_id} is a mandatory clause and cannot be excluded",
                    "Only Annex A controls may be declared not applicable.",
                )
            if not reason.strip():
                raise ConfigError(config.source, f"{where} not_applicable.{requirement_id}: give the reason")
        for requirement_id in scope.addressable:
            found = requirements.get(requirement_id)
            if found is None or found.flag != "addressable":
                raise ConfigError(
                    config.source,
                    f"{where} addressable: '{requirement_id}' is not an addressable specification of {framework_id}",
                    "Decisions are recorded only for specifications flagged addressable.",
                )
            if requirement_id in scope.not_applicable:
                raise ConfigError(
                    config.source,
                    f"{where}: {requirement_id} is both not applicable and given an addressable decision",
                    "Keep one: a decision of not_reasonable records why it is not implemented.",
                )


def validate(config: Config) -> None:
    """Raise ConfigError for anything the config says about the catalogs that they do not hold."""
    _check_scope(config)
    _check_controls(config)
    review_limits(config)


def rules_of(config: Config) -> Rules:
    validate(config)
    return Rules(config.frameworks, dict(config.scope), review_limits(config))
