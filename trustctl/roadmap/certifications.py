"""The certifications the roadmap can recommend: the framework each is measured against, what must be
held first, and which demand each one also satisfies.

These are facts of how the reports are issued, not costs (those are in costs.toml):
- SOC 3 is issued on a SOC 2 Type II examination, so it comes after (or with) Type II.
- A SOC 2 Type II report answers a buyer who asks for Type I (it covers design and operation).
- HIPAA and FERPA have no certification; "held" means the attestation and questionnaire work is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from trustctl.ids import CERTIFICATION_FRAMEWORKS, CERTIFICATION_IDS, ROADMAP_NAMES


@dataclass(frozen=True)
class Certification:
    id: str
    name: str
    framework: str  # the framework catalog its gap is measured against
    prerequisites: tuple[str, ...] = ()  # must be held or earlier in the roadmap
    also_satisfies: tuple[str, ...] = ()  # demand for these is answered by this one too


PREREQUISITES = {"soc3": ("soc2_type2",)}
ALSO_SATISFIES = {"soc2_type2": ("soc2_type1",)}

CERTIFICATIONS: dict[str, Certification] = {
    c: Certification(
        c,
        ROADMAP_NAMES[c],
        CERTIFICATION_FRAMEWORKS[c],
        prerequisites=PREREQUISITES.get(c, ()),
        also_satisfies=ALSO_SATISFIES.get(c, ()),
    )
    for c in CERTIFICATION_IDS
}

# Spellings seen in CRM exports, normalised (lower case, no spaces, dashes, underscores or slashes).
ALIASES = {
    "soc2type1": "soc2_type1",
    "soc2typei": "soc2_type1",
    "soc2type2": "soc2_type2",
    "soc2typeii": "soc2_type2",
    "soc3": "soc3",
    "iso27001": "iso27001",
    "iso270012022": "iso27001",
    "isoiec27001": "iso27001",
    "isoiec270012022": "iso27001",
    "hipaa": "hipaa",
    "ferpa": "ferpa",
}


def normalise(name: str) -> str | None:
    """A certification id from a CSV cell ('SOC 2 Type II', 'soc2_type2', 'ISO 27001'), or None."""
    key = "".join(ch for ch in name.lower() if ch not in " -_/:")
    return ALIASES.get(key)


def satisfiers(requirement: str) -> tuple[str, ...]:
    """The certifications that answer a deal asking for `requirement` (itself first)."""
    return (requirement, *(c.id for c in CERTIFICATIONS.values() if requirement in c.also_satisfies))


def with_prerequisites(certification: str, have: set[str]) -> list[str]:
    """`certification` preceded by the prerequisites not in `have`, prerequisites first."""
    chain: list[str] = []
    for prerequisite in CERTIFICATIONS[certification].prerequisites:
        if prerequisite not in have:
            chain += [c for c in with_prerequisites(prerequisite, have) if c not in chain]
    return [*chain, certification]
