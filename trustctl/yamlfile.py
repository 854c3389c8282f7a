"""YAML parsed safely and fast: libyaml's safe loader where PyYAML was built with it (the same documents,
about ten times faster than the pure-Python one), else PyYAML's own safe loader. Every reader of YAML
(the control catalog, framework catalogs, request lists, questionnaire maps) parses through here."""

from __future__ import annotations

from typing import Any

import yaml

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """The document in TEXT as plain data; raises yaml.YAMLError as yaml.safe_load does."""
    return yaml.load(text, Loader=_LOADER)
