"""Benchmark: trustctl `collect aws` + `check` against Prowler on the same moto account, in one run.

A moto server in its own process on 127.0.0.1 is seeded with one account of 250+ resources over two
regions, many of them failing on purpose (users without MFA, old access keys, buckets without
encryption, versioning or a public access block, unencrypted RDS, tables without PITR, SSH open to the
world, ...). Then, against that one server and in this one run:

1. moto's throughput for a plain loop of `sts:GetCallerIdentity` (as `org_scale.py` measures it);
2. Prowler (installed at a pinned version into a cached virtualenv of its own) with `--services`
   limited to the services trustctl collects, the two regions, and retries off;
3. `trustctl collect aws`, then `trustctl check --format json`.

Each is a child process, timed for wall time, CPU (the child's rusage: user + system) and peak RSS.
The script prints both, the ratio, the load average, and a recall table: for every Prowler check with
a trustctl counterpart (MAPPING), the failing resources each tool found.

    .venv/bin/python bench/vs_prowler.py [--prowler-venv DIR] [--json PATH] [--keep DIR]

Everything binds 127.0.0.1; outbound HTTP from Prowler goes to a closed local proxy (its version
check fails fast instead of reaching the internet). Prowler's code is never part of this repository.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # bench/ modules, also when imported by the server process

from org_scale import PAB, Cell, Seeded, configure, seed_cell, throughput  # noqa: E402

from trustctl.collectors.aws.clients import honour_host_prefix_setting  # noqa: E402

PROWLER_VERSION = "5.46.0"
PROWLER_VENV = Path.home() / ".cache" / "trustctl-bench" / "prowler-venv"
REGIONS = ["us-east-1", "eu-west-1"]
# Prowler service names for what trustctl collects (trustctl's AWS collectors: IAM, S3 and S3 Control,
# EC2/EBS/VPC, ELBv2, EFS, RDS, DynamoDB, KMS, CloudTrail, AWS Config, GuardDuty, AWS Backup).
SERVICES = [
    "iam",
    "s3",
    "ec2",
    "elbv2",
    "efs",
    "rds",
    "dynamodb",
    "kms",
    "cloudtrail",
    "config",
    "guardduty",
    "backup",
]
# Per region; with IAM and the singletons this makes about 130 resources per region.
COUNTS = {"s3": 36, "ebs": 20, "sg": 16, "dynamodb": 16, "kms": 8, "rds": 6, "efs": 6}
SINGLETONS = ("cloudtrail", "guardduty", "config", "elbv2", "backup")
USERS = 24
OLD_KEY_DAYS = 200
CLOSED_PROXY = "http://127.0.0.1:9"  # discard port: nothing listens, so outbound HTTP fails at once

# Prowler check -> (trustctl check, why they judge the same thing). Only these pairs are compared.
MAPPING: dict[str, tuple[str, str]] = {
    "iam_user_mfa_enabled_console_access": (
        "aws.iam.user_console_mfa",
        "a user with a console password and no MFA device fails both",
    ),
    "iam_rotate_access_key_90_days": (
        "aws.iam.access_key_age",
        "an active access key older than the rotation limit (90 days in both by default) fails both",
    ),
    "iam_root_mfa_enabled": ("aws.iam.root_mfa", "the root user without MFA fails both"),
    "iam_no_root_access_key": ("aws.iam.root_access_keys", "root access keys present fail both"),
    "iam_policy_attached_only_to_group_or_roles": (
        "aws.iam.user_direct_policies",
        "a policy attached directly to a user (not via a group or role) fails both",
    ),
    "iam_customer_attached_policy_no_administrative_privileges": (
        "aws.iam.wildcard_policy",
        "an attached customer managed policy allowing Action * on Resource * fails both",
    ),
    "s3_bucket_default_encryption": (
        "aws.s3.default_encryption",
        "a bucket's default encryption configuration",
    ),
    "s3_bucket_object_versioning": ("aws.s3.versioning", "a bucket without versioning enabled fails both"),
    "s3_bucket_level_public_access_block": (
        "aws.s3.public_access_block",
        "a bucket without all four public access block settings fails both",
    ),
    "s3_bucket_secure_transport_policy": (
        "aws.s3.tls_only",
        "a bucket without a policy denying aws:SecureTransport false fails both",
    ),
    "s3_account_level_public_access_blocks": (
        "aws.s3.account_public_access_block",
        "the account-level public access block",
    ),
    "rds_instance_storage_encrypted": ("aws.rds.storage_encrypted", "an unencrypted DB instance fails both"),
    "rds_instance_backup_enabled": (
        "aws.rds.backup_retention",
        "a DB instance with backup retention 0 fails both",
    ),
    "rds_instance_no_public_access": ("aws.rds.public_access", "a publicly accessible instance fails both"),
    "rds_instance_deletion_protection": (
        "aws.rds.deletion_protection",
        "an instance without deletion protection fails both",
    ),
    "rds_instance_multi_az": ("aws.rds.multi_az", "a single-AZ instance fails both"),
    "dynamodb_tables_pitr_enabled": (
        "aws.dynamodb.pitr",
        "a table without point-in-time recovery fails both",
    ),
    "kms_cmk_rotation_enabled": (
        "aws.kms.key_rotation",
        "a customer managed key without rotation fails both",
    ),
    "ec2_ebs_volume_encryption": ("aws.ebs.volume_encrypted", "an unencrypted EBS volume fails both"),
    "ec2_ebs_snapshots_encrypted": ("aws.ebs.snapshot_encrypted", "an unencrypted snapshot fails both"),
    "ec2_ebs_default_encryption": ("aws.ebs.default_encryption", "EBS encryption by default off fails both"),
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": (
        "aws.ec2.open_admin_ports",
        "SSH (22) open to 0.0.0.0/0 fails both; trustctl also covers RDP and the other admin ports",
    ),
    "efs_encryption_at_rest_enabled": ("aws.efs.encrypted", "an unencrypted file system fails both"),
    "cloudtrail_multi_region_enabled": ("aws.cloudtrail.multi_region", "no multi-region trail fails both"),
    "cloudtrail_log_file_validation_enabled": (
        "aws.cloudtrail.log_validation",
        "a trail without log file validation fails both",
    ),
    "cloudtrail_kms_encryption_enabled": (
        "aws.cloudtrail.encrypted",
        "a trail whose logs are not encrypted with KMS fails both",
    ),
    "guardduty_is_enabled": ("aws.guardduty.enabled", "a region without an enabled detector fails both"),
    "config_recorder_all_regions_enabled": (
        "aws.config.recorder",
        "a region without a recording configuration recorder fails both",
    ),
}
# Where trustctl judges differently on purpose, in our words: shown beside the pair in the table.
DIFFERENT: dict[str, str] = {
    "s3_bucket_default_encryption": (
        "S3 encrypts every bucket with SSE-S3 since January 2023; trustctl fails a bucket only where "
        "policy.kms_required_tags requires SSE-KMS and it has something weaker"
    ),
    "rds_instance_multi_az": "trustctl requires Multi-AZ only where policy asks for it",
    "rds_instance_deletion_protection": "trustctl requires deletion protection only where policy asks for it",
    "s3_bucket_level_public_access_block": (
        "the account-level block (all four settings on) covers every bucket, as AWS applies the stricter "
        "of the two; trustctl reads it and passes covered buckets, Prowler reported no account-level "
        "finding here and judged each bucket's own settings"
    ),
    "kms_cmk_rotation_enabled": (
        "the extra keys are the AWS managed keys (alias/aws/...) that moto creates as customer managed; "
        "AWS rotates those itself, so trustctl does not judge them"
    ),
}


# ---------------------------------------------------------------------------------------------- seeding


def _users(cell: Cell) -> int:
    """USERS IAM users: console passwords on 2 in 3, MFA on half of those, access keys on 1 in 2;
    a direct user policy on 1 in 6 and one customer policy granting Action * attached to a user."""
    iam = cell.client("iam")
    admin = iam.create_policy(
        PolicyName="bench-everything",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    for i in range(USERS):
        user = f"bench-user-{i:02d}"
        iam.create_user(UserName=user)
        if i % 3 != 2:
            iam.create_login_profile(UserName=user, Password="Bench-only-password-123!")
            if i % 2 == 0:
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"][
                    "SerialNumber"
                ]
                iam.enable_mfa_device(
                    UserName=user,
                    SerialNumber=serial,
                    AuthenticationCode1="123456",
                    AuthenticationCode2="654321",
                )
        if i % 2 == 1:
            iam.create_access_key(UserName=user)
        if i % 6 == 5:
            iam.attach_user_policy(
                UserName=user, PolicyArn=admin if i == 5 else "arn:aws:iam::aws:policy/ReadOnlyAccess"
            )
    return USERS + 1


def _age_keys(account: str) -> None:
    """What no API can do: access keys created long ago (moto internals, in the server's process)."""
    from moto.iam.models import iam_backends

    backend: Any = iam_backends[account]["aws"]
    now = datetime.now(UTC)
    for n, user in enumerate(sorted(backend.users.values(), key=lambda u: u.name)):
        user.create_date = now - timedelta(days=400)
        for key in user.access_keys:
            key.create_date = now - timedelta(days=OLD_KEY_DAYS if n % 4 == 1 else 20)


def seed() -> Seeded:
    """One account: IAM once, then COUNTS and SINGLETONS in each region (SEEDERS from org_scale.py)."""
    import boto3

    start, out, session = time.perf_counter(), Seeded(), boto3.Session()
    account = str(session.client("sts").get_caller_identity()["Account"])
    for n, region in enumerate(REGIONS):
        cell = Cell(account, region, {}, n == 0, session)
        done = seed_cell(cell, COUNTS | dict.fromkeys(SINGLETONS, 1))
        out.cells, out.cell_seconds = out.cells + 1, out.cell_seconds + done.cell_seconds
        for kind, made in done.created.items():
            out.created[kind] = out.created.get(kind, 0) + made
        out.rejected |= done.rejected
        if n == 0:
            out.created["iam"] = _users(cell)
            s3control = cell.client("s3control")
            honour_host_prefix_setting(s3control)  # no ACCOUNT.127.0.0.1 host
            s3control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration=PAB)
    _age_keys(account)
    out.seconds = time.perf_counter() - start
    return out


def serve() -> None:
    """The server process: moto on 127.0.0.1, seeded; prints the endpoint and what was seeded, then
    serves until its stdin closes."""
    from trustctl.demo.server import moto_server

    with moto_server(backup_shim=True) as endpoint:
        seeded = seed()
        print(json.dumps({"endpoint": endpoint, "seeded": asdict(seeded)}), flush=True)
        sys.stdin.read()


@contextmanager
def server(work: Path) -> Iterator[tuple[str, Seeded, int]]:
    """The seeded moto server in its own process (so neither tool shares its interpreter)."""
    from trustctl.demo.server import MOTO_ENV

    env = {**os.environ, **MOTO_ENV}
    log = (work / "moto.log").open("wb")  # moto prints a traceback for each operation it lacks
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import sys; sys.path.insert(0, {str(BENCH)!r}); import vs_prowler; vs_prowler.serve()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise SystemExit("vs_prowler: the moto server process exited before it was seeded (see above)")
    ready = json.loads(line)
    seeded = Seeded(**ready["seeded"])
    saved = dict(os.environ)
    os.environ.update(MOTO_ENV)
    os.environ["AWS_ENDPOINT_URL"] = ready["endpoint"]
    try:
        yield ready["endpoint"], seeded, proc.pid
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
        log.close()
        os.environ.clear()
        os.environ.update(saved)


# ---------------------------------------------------------------------------------------------- timing


@dataclass
class Timed:
    """One child process: wall seconds, CPU seconds (user + system, from its rusage) and peak RSS."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mib: float = 0.0
    returncode: int = 0

    def __add__(self, other: Timed) -> Timed:  # processes run one after the other
        return Timed(
            self.wall_s + other.wall_s,
            self.cpu_s + other.cpu_s,
            max(self.peak_mib, other.peak_mib),
            self.returncode or other.returncode,
        )


# A child's ru_maxrss starts at its parent's peak: Linux carries the peak of the address space a process
# had before exec into it. So each tool runs under this small reporter (about 10 MiB) instead of being
# forked from the benchmark, which holds the seeded account's description and Prowler's findings.
_REPORTER = (
    "import json, os, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(proc.pid, 0)\n"
    "wall = time.perf_counter() - start\n"
    "code = os.waitstatus_to_exitcode(status)\n"
    "cpu = usage.ru_utime + usage.ru_stime\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    json.dump([wall, cpu, usage.ru_maxrss / 1024, code], f)\n"
)


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> Timed:
    """Run argv to completion; its output goes to `log`; measured with wait4 (that process only)."""
    figures = log.with_suffix(log.suffix + ".rusage")
    with log.open("wb") as out:
        subprocess.run(
            [sys.executable, "-I", "-S", "-c", _REPORTER, str(figures), *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            check=False,
        )
    wall, cpu, peak, code = json.loads(figures.read_text(encoding="utf-8"))
    return Timed(wall, cpu, peak, code)


# ---------------------------------------------------------------------------------------------- prowler


def prowler_bin(venv: Path) -> Path:
    """Prowler at PROWLER_VERSION in `venv`, installed with pip on first use and reused after."""
    exe, pip = venv / "bin" / "prowler", venv / "bin" / "pip"
    if exe.exists():
        shown = subprocess.run([str(pip), "show", "prowler"], capture_output=True, text=True).stdout
        if f"Version: {PROWLER_VERSION}" in shown:
            return exe
    print(f"installing prowler {PROWLER_VERSION} into {venv} (once; a few minutes) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(pip), "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(pip), "install", "--quiet", f"prowler=={PROWLER_VERSION}"], check=True)
    return exe


def prowler_env(endpoint: str, home: Path) -> dict[str, str]:
    from trustctl.demo.server import CLEARED, MOTO_ENV

    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("AWS_")}
    return {
        **env,
        **MOTO_ENV,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_MAX_ATTEMPTS": "1",  # retries off (also --aws-retries-max-attempts)
        "AWS_RETRY_MODE": "standard",
        "HOME": str(home),  # Prowler writes nothing to the real home
        "HTTP_PROXY": CLOSED_PROXY,
        "HTTPS_PROXY": CLOSED_PROXY,
        "NO_PROXY": "127.0.0.1,localhost",
    }


def run_prowler(exe: Path, endpoint: str, work: Path) -> tuple[Timed, list[dict[str, Any]]]:
    out = work / "prowler-out"
    argv = [
        str(exe),
        "aws",
        "--services",
        *SERVICES,
        "--region",
        *REGIONS,
        "--aws-retries-max-attempts",
        "0",
        "--output-formats",
        "json-ocsf",
        "--output-directory",
        str(out),
        "--output-filename",
        "findings",
        "--no-banner",
        "--scan-unused-services",  # also resources nothing uses (trustctl judges every resource)
        "--ignore-exit-code-3",
    ]
    t = timed(argv, prowler_env(endpoint, work), work / "prowler.log", cwd=work)
    findings: list[dict[str, Any]] = []
    for path in sorted(out.rglob("*.ocsf.json")):
        findings += json.loads(path.read_text(encoding="utf-8") or "[]")
    return t, findings


def prowler_failing(findings: list[dict[str, Any]]) -> tuple[dict[str, set[str]], set[str]]:
    """Failing resources per Prowler check (by ARN, else name), and every check that reported."""
    failing: dict[str, set[str]] = defaultdict(set)
    seen: set[str] = set()
    for f in findings:
        check = str(f.get("metadata", {}).get("event_code", ""))
        seen.add(check)
        if f.get("status_code") == "FAIL":
            for r in f.get("resources") or [{}]:
                failing[check].add(str(r.get("uid") or r.get("name") or "?"))
    return failing, seen


# ---------------------------------------------------------------------------------------------- trustctl


def run_trustctl(
    work: Path, profile: Path | None = None, mark: Callable[[], None] = lambda: None
) -> tuple[Timed, Timed, dict[str, Any]]:
    """`trustctl collect aws`, then `check`; with `profile`, each under cProfile (slower, not a figure).
    `mark` is called just before and just after collect (the server's CPU is read there)."""
    configure(work / "trustctl", REGIONS, org_role=None)
    config = work / "trustctl" / "trustctl.toml"
    # Bytecode, as an installed wheel has it (pip compiles at install, as Prowler's venv was): an
    # editable checkout run with PYTHONDONTWRITEBYTECODE would compile ~130 modules in every process.
    import trustctl

    compileall.compile_dir(Path(trustctl.__file__).parent, quiet=1)

    def exe(name: str) -> list[str]:
        if profile is None:  # the installed console script; PYTHONPATH, if set, is inherited
            return [str(Path(sys.executable).with_name("trustctl"))]
        profile.mkdir(parents=True, exist_ok=True)
        return [sys.executable, "-m", "cProfile", "-o", str(profile / f"{name}.prof"), "-m", "trustctl.cli"]

    env = dict(os.environ)
    mark()
    collect = timed([*exe("collect"), "collect", "aws", "--config", str(config)], env, work / "collect.log")
    mark()
    check_log = work / "check.json"
    check = timed([*exe("check"), "check", "--config", str(config), "--format", "json"], env, check_log)
    text = check_log.read_text(encoding="utf-8")
    return collect, check, json.loads(text[text.index("{") :])


def requests_of(log: Path) -> int:
    """The requests `collect` reports ("run ID: N requests, ...")."""
    found = re.search(r": (\d+) requests,", log.read_text(encoding="utf-8", errors="replace"))
    return int(found.group(1)) if found else 0


def trustctl_failing(report: dict[str, Any]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Failing resources per trustctl check, and every resource each check judged."""
    failing: dict[str, set[str]] = defaultdict(set)
    judged: dict[str, set[str]] = defaultdict(set)
    for r in report["results"]:
        judged[r["check"]].add(r["resource"])
        if r["status"] == "fail":
            failing[r["check"]].add(r["resource"])
    return failing, judged


def key(resource: str) -> str:
    """A resource's comparable name: `account/region` for a per-region setting (Prowler names it by a
    bare type, `arn:aws:ec2:REGION:ACCOUNT:volume`), else the last ARN segment (bucket, user, key id)."""
    parts = resource.split(":")
    if len(parts) == 6 and parts[0] == "arn" and "/" not in parts[5] and parts[3]:
        return f"{parts[4]}/{parts[3]}"
    if len(parts) == 6 and parts[0] == "arn" and parts[5] == "root":
        return parts[4]  # the account's root user: trustctl names it by the account
    if len(parts) == 1 and resource.count("/") == 1:
        return resource  # trustctl's account/region
    return parts[-1].rsplit("/", 1)[-1]


def same(a: str, b: str) -> bool:
    """One resource named two ways by the two tools."""
    return a == b or key(a) == key(b)


@dataclass
class Pair:
    prowler: str
    trustctl: str
    why: str
    prowler_fail: int = 0
    trustctl_fail: int = 0
    missed: list[str] = field(default_factory=list)  # failing in Prowler, not failing in trustctl
    note: str = ""


def recall(prowler: dict[str, set[str]], seen: set[str], trustctl: dict[str, set[str]]) -> list[Pair]:
    pairs = []
    for p_check, (t_check, why) in MAPPING.items():
        pair = Pair(p_check, t_check, why)
        if p_check not in seen:
            pair.note = "Prowler reported nothing for this check"
        p_fail, t_fail = prowler.get(p_check, set()), trustctl.get(t_check, set())
        pair.prowler_fail, pair.trustctl_fail = len(p_fail), len(t_fail)
        pair.missed = sorted(r for r in p_fail if not any(same(r, t) for t in t_fail))
        if pair.missed:
            pair.note = DIFFERENT.get(p_check, "NOT EXPLAINED: trustctl should fail these too")
        pairs.append(pair)
    return pairs


# ---------------------------------------------------------------------------------------------- report


@dataclass
class Round:
    """One run of each tool against the server, one after the other."""

    prowler: Timed = field(default_factory=Timed)
    collect: Timed = field(default_factory=Timed)
    check: Timed = field(default_factory=Timed)
    server_cpu_prowler: float = 0.0
    server_cpu_collect: float = 0.0


@dataclass
class Figures:
    prowler_version: str = PROWLER_VERSION
    regions: list[str] = field(default_factory=lambda: list(REGIONS))
    services: list[str] = field(default_factory=lambda: list(SERVICES))
    seeded: Seeded = field(default_factory=Seeded)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    moto_per_s: float = 0.0
    # CPU seconds the moto server process spent answering each tool (it runs on one core, under the GIL).
    server_cpu_prowler: float = 0.0
    server_cpu_collect: float = 0.0
    prowler: Timed = field(default_factory=Timed)
    collect: Timed = field(default_factory=Timed)
    check: Timed = field(default_factory=Timed)
    trustctl: Timed = field(default_factory=Timed)
    requests: int = 0
    results: dict[str, int] = field(default_factory=dict)
    prowler_findings: int = 0
    pairs: list[Pair] = field(default_factory=list)
    rounds: list[Round] = field(default_factory=list)

    def take_medians(self, rounds: list[Round]) -> None:
        """Each figure is its median over the rounds (a run is kept whole: its wall, CPU and RSS)."""

        def median_run(runs: list[Timed]) -> Timed:
            return sorted(runs, key=lambda t: t.wall_s)[len(runs) // 2]

        self.rounds = rounds
        self.prowler = median_run([r.prowler for r in rounds])
        self.collect = median_run([r.collect for r in rounds])
        self.check = median_run([r.check for r in rounds])
        self.trustctl = median_run([r.collect + r.check for r in rounds])
        self.server_cpu_prowler = statistics.median(r.server_cpu_prowler for r in rounds)
        self.server_cpu_collect = statistics.median(r.server_cpu_collect for r in rounds)

    @property
    def ratio(self) -> float:
        return self.prowler.wall_s / self.trustctl.wall_s if self.trustctl.wall_s else float("inf")

    @property
    def ceiling(self) -> float:
        """The ratio if collect took only the server's CPU for its requests and check took no time."""
        return self.prowler.wall_s / self.server_cpu_collect if self.server_cpu_collect else float("inf")


def markdown(f: Figures) -> str:
    def row(name: str, t: Timed) -> str:
        return f"| {name} | {t.wall_s:.2f} | {t.cpu_s:.2f} | {t.peak_mib:.0f} | {t.returncode} |"

    lines = [
        "| run | wall s | CPU s | peak RSS MiB | exit |",
        "|---|--:|--:|--:|--:|",
        row(f"Prowler {f.prowler_version}", f.prowler),
        row("trustctl collect aws", f.collect),
        row("trustctl check", f.check),
        row("trustctl collect + check", f.trustctl),
        "",
        f"- rounds: {len(f.rounds)}; figures are medians"
        + (
            "; ratio per round: "
            + ", ".join(f"{r.prowler.wall_s / (r.collect + r.check).wall_s:.1f}x" for r in f.rounds)
            if len(f.rounds) > 1 and f.prowler.wall_s
            else ""
        ),
        f"- ratio (Prowler wall / trustctl wall): {f.ratio:.1f}x; CPU {f.prowler.cpu_s / max(f.trustctl.cpu_s, 1e-9):.1f}x;"
        f" peak RSS {f.prowler.peak_mib / max(f.trustctl.peak_mib, 1e-9):.1f}x",
        f"- load average before / after: {' '.join(f'{x:.2f}' for x in f.load_before)} / "
        f"{' '.join(f'{x:.2f}' for x in f.load_after)} (2 shared cores)",
        f"- moto throughput (sts, 16 threads): {f.moto_per_s:.0f} calls/s; trustctl requests: {f.requests}; "
        f"collect / (requests / throughput) = "
        + (f"{f.collect.wall_s * f.moto_per_s / f.requests:.2f}" if f.requests and f.moto_per_s else "-"),
        f"- moto server CPU answering Prowler: {f.server_cpu_prowler:.2f} s; answering trustctl collect: "
        f"{f.server_cpu_collect:.2f} s"
        + (f" ({f.server_cpu_collect / f.requests * 1000:.1f} ms per request)" if f.requests else "")
        + (
            f"; Prowler wall / that = {f.ceiling:.1f}x, the most any client making these requests can reach"
            if f.server_cpu_collect and f.prowler.wall_s
            else ""
        ),
        f"- resources seeded: {sum(f.seeded.created.values())} ({dict(sorted(f.seeded.created.items()))})",
        f"- Prowler findings: {f.prowler_findings}; trustctl results: {f.results}",
    ]
    if f.pairs:  # none with --no-prowler
        lines += [
            "",
            "| Prowler check | trustctl check | Prowler fails | trustctl fails | missed by trustctl | note |",
            "|---|---|--:|--:|--:|---|",
            *(
                f"| {p.prowler} | {p.trustctl} | {p.prowler_fail} | {p.trustctl_fail} | {len(p.missed)} | {p.note} |"
                for p in f.pairs
            ),
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--prowler-venv", type=Path, default=PROWLER_VENV, help=f"(default {PROWLER_VENV})")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep outputs and logs here")
    parser.add_argument(
        "--no-prowler", action="store_true", help="time trustctl only (no ratio or recall table)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run both tools N times against the same server and report the medians (default 1)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run trustctl under cProfile, writing DIR/collect.prof, check.prof",
    )
    args = parser.parse_args()
    exe = None if args.no_prowler else prowler_bin(args.prowler_venv)
    f = Figures()
    work = Path(tempfile.mkdtemp(prefix="trustctl-vs-prowler-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    print(f"seeding one account over {', '.join(REGIONS)} on a moto server process ...", flush=True)
    try:
        with server(work) as (endpoint, seeded, server_pid):
            f.seeded = seeded
            print(f"seeded {sum(seeded.created.values())} resources in {seeded.seconds:.1f}s", flush=True)
            for kind, message in sorted(seeded.rejected.items()):
                print(f"  moto rejected {kind}: {message}")
            f.load_before = os.getloadavg()
            f.moto_per_s = throughput("sts", 1000, 16)
            findings: list[dict[str, Any]] = []
            rounds: list[Round] = []
            for n in range(1, args.repeat + 1):
                here = work if args.repeat == 1 else work / f"round-{n}"
                here.mkdir(parents=True, exist_ok=True)
                r = Round()
                if exe is not None:
                    print(f"round {n}: running Prowler ...", flush=True)
                    before = process_cpu(server_pid)
                    r.prowler, findings = run_prowler(exe, endpoint, here)
                    r.server_cpu_prowler = process_cpu(server_pid) - before
                print(f"round {n}: running trustctl collect aws + check ...", flush=True)
                served: list[float] = []
                r.collect, r.check, report = run_trustctl(
                    here, args.profile, lambda into=served: into.append(process_cpu(server_pid))
                )
                r.server_cpu_collect = served[1] - served[0]
                f.requests = requests_of(here / "collect.log")
                rounds.append(r)
            f.load_after = os.getloadavg()
            f.take_medians(rounds)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    f.prowler_findings = len(findings)
    f.results = report["summary"]
    p_fail, seen = prowler_failing(findings)
    t_fail, _ = trustctl_failing(report)
    f.pairs = recall(p_fail, seen, t_fail) if exe is not None else []
    print("\n" + markdown(f) + "\n")
    unexplained = [p for p in f.pairs if p.missed and p.prowler not in DIFFERENT]
    for p in unexplained:
        print(f"missed by trustctl in {p.trustctl} (Prowler {p.prowler}): {', '.join(p.missed[:10])}")
    print(f"self peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (not measured)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(f) | {"ratio": f.ratio}
        args.json.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
