"""Write tests/data/mapping_notes.json: the coverage and a short hash of the note of every framework link.

Run it after adding, removing or re-noting a link: `.venv/bin/python scripts/mapping_lock.py`.
tests/test_mapping_notes.py compares the catalogs with this lock, so a change of coverage cannot slip
through without a new note that explains it. Derived frameworks (SOC 3) are skipped: their links are
their parent's.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "tests" / "data" / "mapping_notes.json"
COMMAND = ".venv/bin/python scripts/mapping_lock.py"


def note_hash(note: str) -> str:
    """A short sha256 of the note: enough to notice an edit, small enough to diff."""
    return hashlib.sha256(note.encode("utf-8")).hexdigest()[:12]


def current_links() -> dict[str, dict[str, str]]:
    """'FRAMEWORK REQ -> CONTROL' -> {coverage, note hash} for every link in the catalogs."""
    from trustctl.frameworks.loader import load_frameworks

    links: dict[str, dict[str, str]] = {}
    for framework in load_frameworks().values():
        if framework.derived_from:
            continue
        for requirement in framework.requirements:
            for link in requirement.controls:
                key = f"{framework.id} {requirement.id} -> {link.id}"
                links[key] = {"coverage": link.coverage, "note": note_hash(link.note)}
    return links


def main() -> None:
    links = current_links()
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"  {json.dumps(key)}: {json.dumps(links[key])}" for key in sorted(links)]
    LOCK.write_text("{\n" + ",\n".join(rows) + "\n}\n", encoding="utf-8")  # one link a line
    print(f"wrote {len(links)} links to {LOCK.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
