"""Which requirements are in scope for this organization, and which requirements each control serves."""

from __future__ import annotations

from collections.abc import Callable

from trustctl.config import FrameworksConfig
from trustctl.frameworks.loader import load_frameworks
from trustctl.frameworks.models import Framework, Requirement


def in_scope(framework: Framework, requirement: Requirement, settings: FrameworksConfig) -> bool:
    """SOC 2 and SOC 3 cover the configured Trust Services categories; other frameworks cover all."""
    if "soc2" in (framework.id, framework.derived_from):
        return requirement.group in settings.soc2_categories
    return True


def scoped_requirements(framework: Framework, settings: FrameworksConfig) -> list[Requirement]:
    return [r for r in framework.requirements if in_scope(framework, r, settings)]


def requirement_lookup(settings: FrameworksConfig) -> Callable[[str], dict[str, list[str]]]:
    """control id -> {framework id: [in-scope requirement ids]}, as check results carry it."""
    index: dict[str, dict[str, list[str]]] = {}
    for framework in load_frameworks().values():
        for requirement in scoped_requirements(framework, settings):
            for link in requirement.controls:
                index.setdefault(link.id, {}).setdefault(framework.id, []).append(requirement.id)

    def lookup(control: str) -> dict[str, list[str]]:
        return {framework: list(ids) for framework, ids in index.get(control, {}).items()}

    return lookup
