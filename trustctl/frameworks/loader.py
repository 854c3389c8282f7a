"""Load and validate the framework catalogs; an unknown control id or document kind is an error.

Frameworks reference controls; controls never list frameworks. A derived framework (SOC 3) takes
the requirements of the one it is derived from.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from trustctl import yamlfile
from trustctl.controls.catalog import Catalog, load_catalog
from trustctl.errors import CatalogError
from trustctl.frameworks.models import Framework

CATALOGS = "trustctl.frameworks.catalogs"


def _where(error: ErrorDetails) -> str:
    return ".".join(str(p) for p in error["loc"])


def parse_framework(text: str, source: str) -> Framework:
    try:
        data = yamlfile.safe_load(text)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        at = f" line {line + 1}" if line is not None else ""
        raise CatalogError(f"{source}:{at} not valid YAML ({getattr(e, 'problem', e)}).") from None
    try:
        return Framework.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise CatalogError(f"{source}: field '{_where(first)}': {first['msg']}.") from None


def validate_references(framework: Framework, catalog: Catalog, source: str) -> None:
    known_documents = {d for c in catalog.controls for d in c.documents}
    seen: set[str] = set()
    for requirement in framework.requirements:
        if requirement.id in seen:
            raise CatalogError(f"{source}: requirement {requirement.id} appears twice.")
        seen.add(requirement.id)
        for link in requirement.controls:
            if link.id not in catalog.ids:
                raise CatalogError(
                    f"{source}: requirement {requirement.id} references unknown control {link.id}."
                )
        for kind in requirement.documents:
            if kind not in known_documents:
                raise CatalogError(
                    f"{source}: requirement {requirement.id} asks for unknown document kind '{kind}' "
                    f"(known: {', '.join(sorted(known_documents))})."
                )


def _catalog_files() -> dict[str, str]:
    folder = resources.files(CATALOGS)
    return {
        Path(f.name).stem: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith(".yaml")
    }


@cache
def load_frameworks() -> dict[str, Framework]:
    """Every framework, by id, validated against the control catalog."""
    catalog = load_catalog()
    parsed = {
        stem: parse_framework(text, f"trustctl/frameworks/catalogs/{stem}.yaml")
        for stem, text in sorted(_catalog_files().items())
    }
    frameworks: dict[str, Framework] = {}
    for stem, framework in parsed.items():
        source = f"trustctl/frameworks/catalogs/{stem}.yaml"
        if framework.id != stem:
            raise CatalogError(f"{source}: id '{framework.id}' must match the file name '{stem}'.")
        if framework.derived_from:
            base = parsed.get(framework.derived_from)
            if base is None:
                raise CatalogError(f"{source}: derived_from '{framework.derived_from}' is not a catalog.")
            framework = framework.model_copy(update={"requirements": base.requirements})
        validate_references(framework, catalog, source)
        frameworks[framework.id] = framework
    return frameworks


def get_framework(framework_id: str) -> Framework:
    frameworks = load_frameworks()
    if framework_id not in frameworks:
        raise CatalogError(f"unknown framework '{framework_id}'; known: {', '.join(sorted(frameworks))}.")
    return frameworks[framework_id]
