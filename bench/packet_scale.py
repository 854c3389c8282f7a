"""Benchmark: the SOC 2 audit packet over the demo's 90 days of runs.

Builds the demo's history (trustctl/demo/history.py, the same as `trustctl demo`): Acme seeded on an
in-process moto server, then one run a day for 90 days (the clock set with TRUSTCTL_NOW) of its people
and GCP projects, with AWS weekly (`--aws-every 1`: every day), and the changes the history makes (a
finding fixed, a regression, IAM users created and removed, leavers and a new hire); everything else is
unchanged, so content addressing stores it once. The demo's documents are added with their approval
dates. Collection is timed but not measured. Measured: `trustctl packet --framework soc2 --period FIRST..LAST --sample 1
--sample-seed 2026 --sampled-by bench` (an auditor's seed: one row of each population and one date) as a
subprocess (wall time, peak RSS), the packet's size, the locker's size against one run's evidence, and
`trustctl verify` of the packet and of the locker (every stored byte, signature and the chain).

    .venv/bin/python bench/packet_scale.py [--days 90] [--aws-every 7] [--json PATH]

Targets: packet under 60 s and 1 GB; the locker for 90 runs under 3x the size of one run's evidence.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trustctl import pipeline
from trustctl.demo import history
from trustctl.demo.run import add_documents, set_up_acme
from trustctl.demo.server import moto_server
from trustctl.evidence.locker import Locker

TARGET_SECONDS, TARGET_MIB, TARGET_GROWTH = 60.0, 1024.0, 3.0
ROLE = "OrganizationAccountAccessRole"


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def build_history(out: Path, days: int, aws_every: int) -> Path:
    with moto_server(backup_shim=True):
        made, org = set_up_acme(out, datetime.now(UTC).date())
        started = time.perf_counter()

        def ran(day: history.Day) -> None:
            changed = "; ".join(day.changes)
            print(
                f"day {day.index + 1:3}: run {day.run_id}, {'+'.join(day.providers)}"
                + (f"; {changed}" if changed else ""),
                file=sys.stderr,
            )

        history.collect_history(made.config, org, days=days, aws_every=aws_every, report=ran)
        config = pipeline.load(made.config)
        add_documents(config, out)
        print(
            f"collected {days} runs in {time.perf_counter() - started:.0f} s (not measured)", file=sys.stderr
        )
    return made.config


def measure(config: Path, first: datetime, days: int) -> dict[str, Any]:
    period = f"{first.date()}..{(first + timedelta(days=days - 1)).date()}"
    out = config.parent / "packet"
    command = [
        sys.executable,
        "-m",
        "trustctl.cli",
        "packet",
        "--framework",
        "soc2",
        "--period",
        period,
        "--sample",
        "1",
        "--sample-seed",
        "2026",
        "--sampled-by",
        "bench",
        "--out",
        str(out),
        "--config",
        str(config),
    ]
    # GNU time reports the child's own peak; RUSAGE_CHILDREN would count this process's pages at fork.
    timed = ["/usr/bin/time", "-f", "peak-rss-kib %M"] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    ran = subprocess.run([*timed, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if ran.returncode != 0:
        raise SystemExit(f"packet failed: {ran.stderr}")
    peaks = [line.split()[-1] for line in ran.stderr.splitlines() if line.startswith("peak-rss-kib")]
    peak_mib = (
        int(peaks[-1]) / 1024 if peaks else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    verify_started = time.perf_counter()
    verified = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "verify", str(out / "packet.zip")],
        capture_output=True,
        text=True,
    )
    verify_seconds = time.perf_counter() - verify_started
    locker_started = time.perf_counter()
    locker_verified = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "verify", "--config", str(config), "--min-runs", str(days)],
        capture_output=True,
        text=True,
    )
    locker_verify_seconds = time.perf_counter() - locker_started
    locker = Locker.open(config.parent / ".trustctl" / "locker")
    first_run = locker.run_entries()[0]
    manifest = locker.read_manifest(first_run.run_id)
    # One run's evidence as it would be kept without content addressing or compression: its responses
    # as canonical JSON, its request list and times, its manifest and signature; and as loose gzip files.
    # The locker: everything on disk but the derived index.
    run_files = _size(list(first_run.path.iterdir()))
    contents = [locker.read_object_bytes(o) for o in manifest.objects]
    one_run = sum(map(len, contents)) + run_files
    one_run_disk = sum(len(gzip.compress(c, compresslevel=6, mtime=0)) for c in contents) + run_files
    objects = _size(list((locker.root / "objects").rglob("*")))
    whole = _size([p for p in locker.root.rglob("*") if p.name != "index.sqlite"])
    return {
        "days": days,
        "period": period,
        "packet_seconds": round(seconds, 1),
        "packet_peak_rss_mib": round(peak_mib, 1),
        "verify_seconds": round(verify_seconds, 1),
        "verify_ok": verified.returncode == 0,
        "locker_verify_seconds": round(locker_verify_seconds, 1),
        "locker_verify_ok": locker_verified.returncode == 0,
        "pdf_pages": int(
            next(
                line.split()[-1]
                for line in subprocess.run(
                    ["pdfinfo", str(out / "packet.pdf")], capture_output=True, text=True
                ).stdout.splitlines()
                if line.startswith("Pages:")
            )
        ),
        "zip_mib": round((out / "packet.zip").stat().st_size / 2**20, 2),
        "one_run_evidence_kib": round(one_run / 1024, 1),
        "one_run_on_disk_kib": round(one_run_disk / 1024, 1),
        "one_run_manifest_kib": round(run_files / 1024, 1),
        "locker_kib": round(whole / 1024, 1),
        "locker_objects_kib": round(objects / 1024, 1),
        "locker_growth": round(whole / one_run, 2),
        "objects_growth_on_disk": round(objects / (one_run_disk - run_files), 2),
        "packs": len(locker.packs.packs()),
        "loose_objects": len(list(locker.iter_object_paths())),
        "summary": ran.stdout.splitlines()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=history.DAYS)
    parser.add_argument("--aws-every", type=int, default=history.AWS_EVERY, help="Collect AWS every N days.")
    parser.add_argument("--json", type=Path, help="Also write the figures to this file.")
    parser.add_argument(
        "--keep", type=Path, help="Build in this new directory and keep it (default: a temporary one)."
    )
    args = parser.parse_args()
    first = datetime.now(UTC) - timedelta(days=args.days - 1)
    if args.keep:
        args.keep.mkdir(parents=True)
        config = build_history(args.keep, args.days, args.aws_every)
        figures = measure(config, first, args.days)
    else:
        with tempfile.TemporaryDirectory(prefix="trustctl-packet-bench-") as tmp:
            config = build_history(Path(tmp), args.days, args.aws_every)
            figures = measure(config, first, args.days)
    print(json.dumps(figures, indent=2))
    ok = (
        figures["packet_seconds"] < TARGET_SECONDS
        and figures["packet_peak_rss_mib"] < TARGET_MIB
        and figures["locker_growth"] < TARGET_GROWTH
        and figures["verify_ok"]
        and figures["locker_verify_ok"]
    )
    print(
        f"packet {figures['packet_seconds']} s (target < {TARGET_SECONDS:.0f}), peak RSS "
        f"{figures['packet_peak_rss_mib']} MiB (< {TARGET_MIB:.0f}), locker {figures['locker_growth']}x one run "
        f"(< {TARGET_GROWTH:.0f}x): {'PASS' if ok else 'FAIL'}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
