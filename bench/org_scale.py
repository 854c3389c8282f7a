"""Benchmark: one `collect aws` + `check` of trustctl across an AWS Organization on moto.

Starts one in-process moto server, creates an organization of N accounts (the management account and
N-1 members) and seeds about --resources resources of mixed types in every account x region through
boto3 on a thread pool (timed, not measured). Then it measures, in the same run: moto's throughput for a
plain loop of one simple call, trustctl's collect with `org_role` set (wall time, API calls, memory), the
ratio `collect time / (calls / throughput)`, and the check.

    .venv/bin/python bench/org_scale.py [--accounts 20] [--regions eu-west-1,us-east-1,eu-central-1]
                                        [--resources 50] [--workers N] [--processes N] [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from iam_scale import SEED_THREADS, TRUST, call_counter, rss_mib  # bench/ is sys.path[0] when run as a script

from trustctl import pipeline
from trustctl.config import Config
from trustctl.demo.server import MOTO_ENV, moto_server

TARGET_RATIO, TARGET_MIB = 1.5, 400.0
ORG_ROLE = "OrganizationAccountAccessRole"
PROBES = {
    "sts": ("sts", "get_caller_identity"),
    "s3": ("s3", "list_buckets"),
    "ec2": ("ec2", "describe_security_groups"),
}
SINGLETONS = ("cloudtrail", "guardduty", "config", "elbv2", "backup")  # one of each per account x region
WEIGHTS = {"s3": 3, "ebs": 2, "sg": 2, "dynamodb": 2, "kms": 1, "rds": 1, "efs": 1}  # shares of the rest
PAB = dict.fromkeys(
    ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
)
SESSION = threading.Lock()  # one boto3 session for all seeding (models load once); not thread-safe


@dataclass
class Cell:
    """One account x region to seed, with its clients (thread-safe once created)."""

    account: str
    region: str
    keys: dict[str, str]  # assumed-role credentials; empty for the management account
    iam: bool  # this cell also seeds the account's (global) IAM
    session: Any = field(repr=False)
    clients: dict[str, Any] = field(default_factory=dict)
    network: tuple[str, list[str]] | None = None  # default VPC, its subnets (moto creates them)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            with SESSION:
                self.clients[service] = self.session.client(service, region_name=self.region, **self.keys)
        return self.clients[service]

    def vpc(self) -> tuple[str, list[str]]:
        if self.network is None:
            ec2 = self.client("ec2")
            vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
            self.network = vpc, [s["SubnetId"] for s in sorted(subnets, key=lambda s: s["AvailabilityZone"])]
        return self.network


def _bucket(cell: Cell, suffix: str) -> str:
    name = f"bench-{cell.account}-{cell.region}-{suffix}"
    where = {} if cell.region == "us-east-1" else {"LocationConstraint": cell.region}
    cell.client("s3").create_bucket(Bucket=name, **({"CreateBucketConfiguration": where} if where else {}))
    return name


def _s3(cell: Cell, i: int) -> None:
    s3, bucket = cell.client("s3"), _bucket(cell, f"data-{i}")
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "data", "Value": "customer"}]})
    if i % 2 == 0:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=PAB)
    if i % 3 != 2:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms" if i % 3 else "AES256"}}
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    if i % 4 == 0:
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": f"arn:aws:s3:::{bucket}/*",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            ),
        )


def _ebs(cell: Cell, i: int) -> None:
    ec2 = cell.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{cell.region}a", Size=8, Encrypted=i % 2 == 0)["VolumeId"]
    if i % 2 == 0:
        ec2.create_snapshot(VolumeId=volume, Description=f"bench {i}")


def _sg(cell: Cell, i: int) -> None:
    ec2 = cell.client("ec2")
    group = ec2.create_security_group(GroupName=f"bench-sg-{i}", Description="bench", VpcId=cell.vpc()[0])
    rules = [(443, "0.0.0.0/0"), (5432, "10.0.0.0/8")] + ([(22, "0.0.0.0/0")] if i % 3 == 0 else [])
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": cidr}]}
            for p, cidr in rules
        ],
    )


def _rds(cell: Cell, i: int) -> None:
    cell.client("rds").create_db_instance(
        DBInstanceIdentifier=f"bench-db-{i}",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="bench",
        MasterUserPassword="Bench-only-1234",
        StorageEncrypted=i % 2 == 0,
        BackupRetentionPeriod=0 if i % 3 == 0 else 7,
        PubliclyAccessible=i % 4 == 1,
    )


def _dynamodb(cell: Cell, i: int) -> None:
    ddb, table = cell.client("dynamodb"), f"bench-table-{i}"
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    )
    if i % 2 == 0:
        ddb.update_continuous_backups(
            TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )


def _kms(cell: Cell, i: int) -> None:
    key = cell.client("kms").create_key(Description=f"bench key {i}")["KeyMetadata"]["KeyId"]
    if i % 2 == 0:
        cell.client("kms").enable_key_rotation(KeyId=key)


def _efs(cell: Cell, i: int) -> None:
    cell.client("efs").create_file_system(CreationToken=f"bench-efs-{i}", Encrypted=i % 2 == 0)


def _cloudtrail(cell: Cell, _: int) -> None:
    trail = cell.client("cloudtrail")
    trail.create_trail(Name="bench-trail", S3BucketName=_bucket(cell, "trail"), EnableLogFileValidation=True)
    trail.start_logging(Name="bench-trail")


def _guardduty(cell: Cell, _: int) -> None:
    cell.client("guardduty").create_detector(Enable=True)


def _config(cell: Cell, _: int) -> None:
    config, role = cell.client("config"), f"arn:aws:iam::{cell.account}:role/bench-config"
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": role,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": cell.iam},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": _bucket(cell, "config")})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def _elbv2(cell: Cell, _: int) -> None:
    elb, (vpc, subnets) = cell.client("elbv2"), cell.vpc()
    lb = elb.create_load_balancer(Name="bench-lb", Subnets=subnets[:2], Scheme="internet-facing")
    group = elb.create_target_group(Name="bench-tg", Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    elb.create_listener(
        LoadBalancerArn=lb["LoadBalancers"][0]["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
    )


def _backup(cell: Cell, _: int) -> None:
    backup = cell.client("backup")
    backup.create_backup_vault(BackupVaultName="bench-vault")
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "bench-daily",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "bench-vault",
                    "ScheduleExpression": "cron(0 5 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                }
            ],
        }
    )


def _iam(cell: Cell, i: int) -> None:
    iam, user, role = cell.client("iam"), f"bench-user-{i}", f"bench-role-{i}"
    iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": f"t{i % 3}"}])
    if i % 2 == 0:
        iam.create_login_profile(UserName=user, Password="Bench-only-password-123!")
    if i % 3 == 0:
        iam.create_access_key(UserName=user)
    statement = {"Effect": "Allow", "Action": "*" if i == 0 else "s3:GetObject", "Resource": "*"}
    arn = iam.create_policy(
        PolicyName=f"bench-policy-{i}",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )["Policy"]["Arn"]
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)


SEEDERS: dict[str, Callable[[Cell, int], None]] = {
    "s3": _s3,
    "ebs": _ebs,
    "sg": _sg,
    "rds": _rds,
    "dynamodb": _dynamodb,
    "kms": _kms,
    "efs": _efs,
    "cloudtrail": _cloudtrail,
    "guardduty": _guardduty,
    "config": _config,
    "elbv2": _elbv2,
    "backup": _backup,
    "iam": _iam,
}


@dataclass
class Seeded:
    seconds: float = 0.0
    cells: int = 0
    cell_seconds: float = 0.0  # summed over cells, which run SEED_THREADS at a time
    created: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # type -> the first error moto returned


def seed_cell(cell: Cell, counts: dict[str, int]) -> Seeded:
    """Create every type in turn; the first error for a type skips the rest of that type in the cell."""
    start, out = time.perf_counter(), Seeded(cells=1)
    for kind, n in counts.items():
        for i in range(n):
            try:
                SEEDERS[kind](cell, i)
            except (BotoCoreError, ClientError) as e:
                out.rejected.setdefault(kind, f"{type(e).__name__}: {e}"[:200])
                break
            out.created[kind] = out.created.get(kind, 0) + 1
    out.cell_seconds = time.perf_counter() - start
    return out


def create_org(session: Any, accounts: int) -> list[tuple[str, dict[str, str]]]:
    """The management account and N-1 members, each with the credentials to act inside it."""
    sts, org = session.client("sts"), session.client("organizations")
    members: list[tuple[str, dict[str, str]]] = [(str(sts.get_caller_identity()["Account"]), {})]
    org.create_organization(FeatureSet="ALL")
    for n in range(1, accounts):
        account = org.create_account(Email=f"bench-{n}@example.com", AccountName=f"bench-{n}")[
            "CreateAccountStatus"
        ]["AccountId"]
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ORG_ROLE}", RoleSessionName="bench-seed"
        )["Credentials"]
        members.append(
            (
                str(account),
                {
                    "aws_access_key_id": creds["AccessKeyId"],
                    "aws_secret_access_key": creds["SecretAccessKey"],
                    "aws_session_token": creds["SessionToken"],
                },
            )
        )
    return members


def seed(accounts: int, regions: list[str], resources: int) -> Seeded:
    """About `resources` per account x region (IAM once per account), SEED_THREADS cells at a time."""
    start, out, session = time.perf_counter(), Seeded(), boto3.Session()
    rest = max(0, resources - len(SINGLETONS))
    counts = {k: max(1, round(rest * w / sum(WEIGHTS.values()))) for k, w in WEIGHTS.items()}
    counts |= dict.fromkeys(SINGLETONS, 1)
    cells = [
        Cell(a, r, keys, r == regions[0], session)
        for a, keys in create_org(session, accounts)
        for r in regions
    ]
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        for done in pool.map(lambda c: seed_cell(c, counts | {"iam": 3} if c.iam else counts), cells):
            out.cells, out.cell_seconds = out.cells + 1, out.cell_seconds + done.cell_seconds
            out.created = dict(Counter(out.created) + Counter(done.created))
            out.rejected = done.rejected | out.rejected
    out.seconds = time.perf_counter() - start
    return out


def throughput(probe: str, calls: int, workers: int) -> float:
    """Calls per second moto serves for `calls` of one simple operation on `workers` threads."""
    client = boto3.Session().client(PROBES[probe][0], config=BotoConfig(max_pool_connections=workers))
    method = getattr(client, PROBES[probe][1])
    method()  # warm up: connection, response parser
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: method(), range(calls)))
    return calls / (time.perf_counter() - start)


def configure(
    directory: Path,
    regions: list[str],
    processes: int = 1,
    workers: int | None = None,
    org_role: str | None = ORG_ROLE,
) -> Config:
    """A trustctl.toml in `directory` for these regions (and the organization role, unless None)."""
    made = pipeline.init(directory, "Bench Org")
    text = made.config.read_text(encoding="utf-8")
    for old, new in (
        ('# regions = ["eu-west-1", "us-east-1"]', f"regions = {json.dumps(regions)}"),
        *([('# org_role = "TrustctlAudit"', f'org_role = "{org_role}"')] if org_role else []),
        ("processes = 1 ", f"processes = {processes} "),
        *([("max_workers = 16 ", f"max_workers = {workers} ")] if workers else []),
    ):
        if old not in text:
            raise SystemExit(f"the trustctl.toml template changed: {old!r} not found")
        text = text.replace(old, new)
    made.config.write_text(text, encoding="utf-8")
    return pipeline.load(made.config)


def vm_mib(key: str) -> float | None:
    """VmRSS, or VmHWM (the peak since reset_peak), of this process in MiB; None off Linux."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return None


def reset_peak() -> None:
    with contextlib.suppress(OSError):  # Linux >= 4.0: VmHWM := VmRSS (ru_maxrss cannot be reset)
        Path("/proc/self/clear_refs").write_text("5", encoding="ascii")


@dataclass
class Figures:
    accounts: int
    regions: list[str]
    resources: int
    probe: str
    probe_calls: int
    workers: int = 0
    seeded: Seeded = field(default_factory=Seeded)
    per_s_concurrent: float = 0.0
    per_s_single: float = 0.0
    collect_s: float = 0.0
    api_calls: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    services: dict[str, int] = field(default_factory=dict)
    ratio: float = 0.0
    processes: int = 1  # trustctl's [aws] processes
    server_busy: float | None = None  # the moto process's CPU time during collect / collect wall time
    rss_before_mib: float = 0.0  # process RSS (moto's state included) just before collect
    rss_peak_mib: float = 0.0  # process peak RSS during collect (ru_maxrss if VmHWM cannot be reset)
    maxrss_mib: float = 0.0  # ru_maxrss after collect: the lifetime peak, seeding included
    traced_peak_mib: float | None = None
    traced_collect_s: float | None = None
    check_s: float = 0.0
    summary: dict[str, int] = field(default_factory=dict)
    request_errors: dict[str, str] = field(default_factory=dict)  # "service:Operation code" -> message
    error_reasons: dict[str, list[str]] = field(default_factory=dict)  # check -> its first reasons


SERVER_PID: list[int] = []  # the moto process, when it runs in its own


def server_cpu_s() -> float | None:
    """User + system CPU seconds the moto process has used (Linux /proc), or None."""
    if not SERVER_PID:
        return None
    try:
        fields = Path(f"/proc/{SERVER_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_collect(f: Figures, config: Config) -> None:
    counts, hook = call_counter()
    gc.collect()
    f.rss_before_mib = vm_mib("VmRSS") or rss_mib()
    reset_peak()
    cpu_before = server_cpu_s()
    start = time.perf_counter()
    # Client hooks live in this process: with worker processes, count the manifest's requests instead.
    hooks = [hook] if config.aws.processes == 1 else []
    collected = pipeline.collect(config, ["aws"], progress=None, hooks=hooks)
    f.collect_s = time.perf_counter() - start
    cpu_after = server_cpu_s()
    if cpu_before is not None and cpu_after is not None:
        f.server_busy = (cpu_after - cpu_before) / f.collect_s
    f.maxrss_mib, hwm = rss_mib(), vm_mib("VmHWM")
    f.rss_peak_mib = min(hwm, f.maxrss_mib) if hwm is not None else f.maxrss_mib
    if not hooks:
        counts.update(f"{r.call.service}:{r.call.operation}" for r in collected.manifest.requests)
    f.calls, f.api_calls = dict(sorted(counts.items())), sum(counts.values())
    services: Counter[str] = Counter()
    for op, n in f.calls.items():
        services[op.split(":")[0]] += n
    f.services = dict(sorted(services.items()))
    f.ratio = f.collect_s * f.per_s_concurrent / f.api_calls if f.api_calls else float("inf")
    for r in collected.manifest.errors:
        assert r.error is not None
        f.request_errors.setdefault(f"{r.call.service}:{r.call.operation} {r.error.code}", r.error.message)


def measure(f: Figures, trace: bool) -> None:
    """Seed; probe moto; time collect (calls counted) and check; optionally trace a second collect."""
    f.seeded = seed(f.accounts, f.regions, f.resources)
    with tempfile.TemporaryDirectory(prefix="trustctl-bench-") as tmp:
        config = configure(Path(tmp), f.regions, f.processes, f.workers or None)
        f.workers = config.aws.max_workers
        f.per_s_concurrent = throughput(f.probe, f.probe_calls, f.workers)
        f.per_s_single = throughput(f.probe, f.probe_calls, 1)
        timed_collect(f, config)
        start = time.perf_counter()
        report = pipeline.check_report(config)
        f.check_s = time.perf_counter() - start
        if trace:  # untimed: tracemalloc slows collect down about 2.5 times
            tracemalloc.start()
            start = time.perf_counter()
            pipeline.collect(config, ["aws"], progress=None)
            f.traced_collect_s = time.perf_counter() - start
            f.traced_peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    f.summary = report.summary
    reasons: defaultdict[str, list[str]] = defaultdict(list)
    for result in (r for r in report.results if r.status.value == "error"):
        if len(reasons[result.check]) < 3:
            reasons[result.check].append(" ".join(result.reason.split()))
    f.error_reasons = dict(reasons)


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def markdown(f: Figures) -> str:
    added = f.rss_peak_mib - f.rss_before_mib
    traced = "-" if f.traced_peak_mib is None else f"{f.traced_peak_mib:.0f} MiB ({f.traced_collect_s:.1f} s)"
    rows = [
        ("accounts x regions", f"{f.accounts} x {len(f.regions)} ({', '.join(f.regions)})"),
        ("resources seeded", f"{sum(f.seeded.created.values())} (~{f.resources} per account x region)"),
        (f"moto throughput, {f.probe}, {f.workers} threads", f"{f.per_s_concurrent:.0f} calls/s"),
        (f"moto throughput, {f.probe}, 1 thread", f"{f.per_s_single:.0f} calls/s"),
        ("trustctl API calls", str(f.api_calls)),
        ("collect wall time", f"{f.collect_s:.2f} s"),
        ("calls / throughput", f"{f.api_calls / f.per_s_concurrent:.2f} s"),
        (f"ratio (target < {TARGET_RATIO})", f"{f.ratio:.2f} ({met(f.ratio < TARGET_RATIO)})"),
        ("trustctl [aws] processes", str(f.processes)),
        ("moto process CPU busy during collect", "-" if f.server_busy is None else f"{f.server_busy:.0%}"),
        ("RSS before collect -> peak during collect", f"{f.rss_before_mib:.0f} -> {f.rss_peak_mib:.0f} MiB"),
        (
            f"memory collect adds (target < {TARGET_MIB:.0f} MiB)",
            f"{added:.0f} MiB ({met(added < TARGET_MIB)})",
        ),
        ("process peak RSS (ru_maxrss, seeding included)", f"{f.maxrss_mib:.0f} MiB"),
        ("tracemalloc peak of a second collect (its time)", traced),
        ("check wall time", f"{f.check_s:.2f} s"),
        ("results", ", ".join(f"{k} {v}" for k, v in f.summary.items())),
    ]
    return "\n".join(
        [
            "| figure | value |",
            "|---|--:|",
            *(f"| {k} | {v} |" for k, v in rows),
            "",
            "| service | calls |",
            "|---|--:|",
            *(f"| {s} | {n} |" for s, n in f.services.items()),
        ]
    )


def print_details(f: Figures) -> None:
    s = f.seeded
    print(
        f"seeded {sum(s.created.values())} resources in {s.seconds:.1f}s (not measured): "
        f"{s.seconds / s.cells:.2f}s wall per account x region; one cell took "
        f"{s.cell_seconds / s.cells:.2f}s ({SEED_THREADS} at a time)\n"
        f"  created: {dict(sorted(s.created.items()))}"
    )
    for kind, message in sorted(s.rejected.items()):
        print(f"  moto rejected {kind}: {message}")
    print("calls: " + ", ".join(f"{op} {n}" for op, n in f.calls.items()))
    print(f"{len(f.request_errors)} kind(s) of request error, {f.summary.get('error', 0)} error result(s)")
    for what, message in list(f.request_errors.items())[:10]:
        print(f"  request {what}: {' '.join(message.split())[:160]}")
    for check, reasons in list(f.error_reasons.items())[:10]:
        print(f"  check {check}: " + " | ".join(r[:120] for r in reasons))


SERVER_SCRIPT = """
import sys
from trustctl.demo.server import moto_server
with moto_server(backup_shim=True) as endpoint:
    print(endpoint, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


@contextmanager
def server_process() -> Iterator[str]:
    """moto in its own process, as a remote API would be: its work does not share trustctl's GIL."""
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    endpoint = proc.stdout.readline().strip()
    SERVER_PID[:] = [proc.pid]
    saved = dict(os.environ)
    os.environ.update(MOTO_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
        os.environ.clear()
        os.environ.update(saved)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=20, help="accounts, management included (20)")
    parser.add_argument("--regions", default="eu-west-1,us-east-1,eu-central-1", help="comma-separated")
    parser.add_argument("--resources", type=int, default=50, help="resources per account x region (50)")
    parser.add_argument("--probe", choices=sorted(PROBES), default="sts", help="the moto probe's call (sts)")
    parser.add_argument("--probe-calls", type=int, default=2000, help="calls per probe (2000)")
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="run a second, untimed collect under tracemalloc and report its peak",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--processes", type=int, default=1, help="trustctl's [aws] processes (1)")
    parser.add_argument("--workers", type=int, default=0, help="trustctl's [aws] max_workers (its default)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run moto inside this process (shares the GIL with trustctl; slower)",
    )
    args = parser.parse_args()
    f = Figures(args.accounts, args.regions.split(","), args.resources, args.probe, args.probe_calls)
    f.processes = args.processes
    f.workers = args.workers
    # The shim answers the AWS Backup reads moto lacks (empty here).
    server = moto_server(backup_shim=True) if args.in_process else server_process()
    with server:
        print(
            f"seeding {f.accounts} accounts x {len(f.regions)} regions, ~{f.resources} resources each ...",
            flush=True,
        )
        measure(f, args.tracemalloc)
    print_details(f)
    print("\n" + markdown(f) + "\n")
    ok = f.ratio < TARGET_RATIO and f.rss_peak_mib - f.rss_before_mib < TARGET_MIB
    print(
        f"Targets (collect / (calls / throughput) < {TARGET_RATIO}, memory collect adds "
        f"< {TARGET_MIB:.0f} MiB): {met(ok)}."
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(f), indent=2) + "\n", encoding="utf-8")
        print(f"Figures written to {args.json}")


if __name__ == "__main__":
    main()
