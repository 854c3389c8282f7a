"""Whether two `trustctl check --format json` outputs hold the same results, run ids and times aside.

    .venv/bin/python bench/same_results.py BEFORE.json AFTER.json

Used to show that a performance change changed no result: exit 0 if the results, summaries and tool
are identical once `run.id` and `run.completed_at` are dropped, 1 with the first differences otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def comparable(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text[text.index("{") :])
    data.pop("run", None)
    return data


def differences(before: dict[str, Any], after: dict[str, Any], limit: int = 10) -> list[str]:
    found = [
        f"{key}: differs"
        for key in sorted(set(before) | set(after))
        if key != "results" and before.get(key) != after.get(key)
    ]
    old, new = before.get("results", []), after.get("results", [])
    if len(old) != len(new):
        found.append(f"results: {len(old)} before, {len(new)} after")
    for n, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            found.append(f"result {n} ({a.get('check')} {a.get('resource')}): {', '.join(keys)} differ")
        if len(found) >= limit:
            break
    return found


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    before, after = (comparable(Path(p)) for p in sys.argv[1:])
    found = differences(before, after)
    for line in found:
        print(line)
    print(
        f"{len(before.get('results', []))} results: "
        + ("different" if found else "identical (run id and time aside)")
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
