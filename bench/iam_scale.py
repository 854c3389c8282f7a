"""Benchmark: one `collect aws` + `check` of trustctl against a large IAM account on moto.

Seeds an in-process moto server (through boto3, on a thread pool; seeding is timed but not part of
the figure), then times trustctl's library API, counts every AWS call trustctl makes, and repeats at
a small and a full scale to show that IAM calls stay constant as the number of users grows.

    .venv/bin/python bench/iam_scale.py [--users 2000 --policies 500 --roles 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import threading
import time
import tracemalloc
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3

from trustctl import pipeline
from trustctl.demo.server import moto_server

TARGET_SECONDS = 10.0
SEED_THREADS = 8
GROUPS = 10
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


@dataclass
class Row:
    scale: str
    users: int
    policies: int
    roles: int
    seed_s: float = 0.0
    collect_s: float = 0.0
    check_s: float = 0.0
    total_s: float = 0.0
    api_calls: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    results: int = 0
    summary: dict[str, int] = field(default_factory=dict)
    locker_bytes: int = 0
    rss_before_mib: float = 0.0
    rss_peak_mib: float = 0.0
    traced_peak_mib: float | None = None


def _doc(action: str, resource_: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource_}]}
    )


def _seed_policy(iam: Any, i: int) -> str:
    doc = (
        _doc("*", "*")
        if i == 0
        else _doc("s3:*", "*")
        if i % 10 == 0
        else _doc("s3:GetObject", f"arn:aws:s3:::bench-{i}/*")
    )
    return str(iam.create_policy(PolicyName=f"bench-policy-{i}", PolicyDocument=doc)["Policy"]["Arn"])


def _seed_user(iam: Any, i: int, arns: list[str]) -> None:
    name = f"user-{i:05d}"
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": f"t{i % 7}"}])
    if i % 3 == 0:
        iam.create_login_profile(UserName=name, Password="Bench-only-password-123!")
    if i % 6 == 0:  # half of the console users have MFA
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )
    if i % 4 == 0:
        iam.create_access_key(UserName=name)
    if i % 2 == 0:
        iam.add_user_to_group(GroupName=f"group-{i % GROUPS}", UserName=name)
    if i % 10 == 1:
        iam.attach_user_policy(UserName=name, PolicyArn=arns[i % len(arns)])
    if i % 50 == 7:
        iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=_doc("ec2:*", "*"))


def _seed_group(iam: Any, g: int, arns: list[str]) -> None:
    iam.create_group(GroupName=f"group-{g}")
    iam.attach_group_policy(GroupName=f"group-{g}", PolicyArn=arns[g % len(arns)])


def _seed_role(iam: Any, i: int, arns: list[str]) -> None:
    name = f"role-{i:04d}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=name, PolicyArn=ADMIN if i % 25 == 0 else arns[i % len(arns)])
    if i % 5 == 0:
        iam.attach_role_policy(RoleName=name, PolicyArn=arns[(i * 7 + 3) % len(arns)])


def seed(users: int, policies: int, roles: int) -> float:
    """Create the account's IAM through the API on SEED_THREADS threads; return the seconds it took."""
    start = time.perf_counter()
    iam = boto3.Session().client("iam")  # botocore clients are thread-safe once created
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireSymbols=True)
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        arns = list(pool.map(lambda i: _seed_policy(iam, i), range(policies)))
        list(pool.map(lambda g: _seed_group(iam, g, arns), range(GROUPS)))
        list(pool.map(lambda i: _seed_user(iam, i, arns), range(users)))
        list(pool.map(lambda i: _seed_role(iam, i, arns), range(roles)))
    return time.perf_counter() - start


def call_counter() -> tuple[Counter[str], Callable[[Any], None]]:
    """A Counter of "service:Operation" and the client hook that fills it (thread-safe)."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def on_call(model: Any, **_: Any) -> None:
        with lock:
            counts[f"{model.service_model.service_name}:{model.name}"] += 1

    def hook(client: Any) -> None:
        client.meta.events.register("before-call", on_call)

    return counts, hook


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def measure(row: Row, trace: bool) -> Row:
    """Seed, then time one collect + check in a fresh trustctl directory."""
    row.seed_s = seed(row.users, row.policies, row.roles)
    counts, hook = call_counter()
    with tempfile.TemporaryDirectory(prefix="trustctl-bench-") as tmp:
        made = pipeline.init(Path(tmp), "Bench")
        text = made.config.read_text(encoding="utf-8").replace(
            '# regions = ["eu-west-1", "us-east-1"]', 'regions = ["us-east-1"]'
        )  # no region discovery
        made.config.write_text(text, encoding="utf-8")
        config = pipeline.load(made.config)
        row.rss_before_mib = rss_mib()
        if trace:
            tracemalloc.start()
        t0 = time.perf_counter()
        collected = pipeline.collect(config, ["aws"], progress=None, hooks=[hook])
        t1 = time.perf_counter()
        report = pipeline.check_report(config)
        t2 = time.perf_counter()
        if trace:
            row.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        row.rss_peak_mib = rss_mib()
        row.locker_bytes = sum(p.stat().st_size for p in made.locker.rglob("*") if p.is_file())
    if collected.errors:
        print(f"  warning: {collected.errors} request(s) failed during collect")
    row.collect_s, row.check_s, row.total_s = t1 - t0, t2 - t1, t2 - t0
    row.calls, row.api_calls = dict(sorted(counts.items())), sum(counts.values())
    row.results, row.summary = len(report.results), report.summary
    return row


def reset_moto(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).close()


def print_calls(rows: list[Row]) -> None:
    ops = sorted({op for r in rows for op in r.calls})
    print("\n" + f"{'operation':44}" + "".join(f"{r.scale:>10}" for r in rows))
    for op in ops:
        print(f"{op:44}" + "".join(f"{r.calls.get(op, 0):>10}" for r in rows))
    print(f"{'total':44}" + "".join(f"{r.api_calls:>10}" for r in rows))


def markdown(rows: list[Row]) -> str:
    lines = [
        "| scale | users | policies | roles | API calls | collect s | check s | total s | peak RSS MiB |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    lines += [
        f"| {r.scale} | {r.users} | {r.policies} | {r.roles} | {r.api_calls} | {r.collect_s:.2f} | "
        f"{r.check_s:.2f} | {r.total_s:.2f} | {r.rss_peak_mib:.0f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--policies", type=int, default=500)
    parser.add_argument("--roles", type=int, default=200)
    parser.add_argument(
        "--small",
        type=int,
        nargs=3,
        default=[200, 50, 20],
        metavar=("USERS", "POLICIES", "ROLES"),
        help="the small scale, run first (200 50 20)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also report the traced Python allocation peak (slows collect and check down)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args()
    rows = [Row("small", *args.small), Row("full", args.users, args.policies, args.roles)]
    with moto_server() as endpoint:
        for n, row in enumerate(rows):
            if n:
                reset_moto(endpoint)
            print(
                f"{row.scale}: seeding {row.users} users, {row.policies} policies, {row.roles} roles ...",
                flush=True,
            )
            measure(row, args.tracemalloc)
            traced = f", traced peak {row.traced_peak_mib:.0f} MiB" if row.traced_peak_mib is not None else ""
            print(
                f"  seeded in {row.seed_s:.1f}s (not measured); collect {row.collect_s:.2f}s, "
                f"check {row.check_s:.2f}s, total {row.total_s:.2f}s; {row.api_calls} API calls\n"
                f"  {row.results} results {row.summary}; locker {row.locker_bytes / 2**20:.2f} MiB; "
                f"peak RSS {row.rss_before_mib:.0f} -> {row.rss_peak_mib:.0f} MiB{traced}",
                flush=True,
            )
    print_calls(rows)
    print("\n" + markdown(rows) + "\n")
    full = rows[-1]
    verdict = "met" if full.total_s <= TARGET_SECONDS else "NOT met"
    print(f"Target: collect + check <= {TARGET_SECONDS:.0f}s at full scale: {verdict} ({full.total_s:.2f}s).")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n", encoding="utf-8")
        print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
