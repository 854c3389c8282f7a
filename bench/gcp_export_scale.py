"""Benchmark: import a Cloud Asset Inventory export of 200,000 assets into a real locker, then check it.

Generates an export (newline-delimited JSON, the asset types the checks read, realistic sizes, a
quarter of the lines in camelCase as `gcloud --format=json` prints them), then, in a fresh process so
peak RSS is the import's own, times `import_exports` into a run of a locker made by `pipeline.init`
(including the signed commit), and, where the GCP facts exist, `build_facts` + `evaluate` over that run.

    .venv/bin/python bench/gcp_export_scale.py [--assets 200000] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TARGET_SECONDS = 15.0
TARGET_MIB = 1536.0
ORG, FOLDER = "organizations/678", "folders/45"
LOCATIONS = ["US", "EU", "us-central1", "europe-west1", "asia-northeast1", "us-east4"]
# (asset type, share of the export)
MIX = [
    ("storage.googleapis.com/Bucket", 0.25),
    ("compute.googleapis.com/Disk", 0.20),
    ("compute.googleapis.com/Firewall", 0.15),
    ("iam.googleapis.com/ServiceAccount", 0.10),
    ("iam.googleapis.com/ServiceAccountKey", 0.10),
    ("cloudkms.googleapis.com/CryptoKey", 0.08),
    ("sqladmin.googleapis.com/Instance", 0.05),
    ("bigquery.googleapis.com/Dataset", 0.05),
    ("cloudresourcemanager.googleapis.com/Project", 0.02),
]


def _data(asset_type: str, i: int, project: str, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """(full name, location, resource data in its REST camelCase form)."""
    loc = rng.choice(LOCATIONS)
    if asset_type.endswith("/Bucket"):
        name = f"acme-bucket-{i}"
        return (
            f"//storage.googleapis.com/{name}",
            loc.lower(),
            {
                "id": name,
                "name": name,
                "kind": "storage#bucket",
                "location": loc,
                "locationType": "multi-region" if loc in ("US", "EU") else "region",
                "storageClass": "STANDARD",
                "projectNumber": str(100000 + i % 500),
                "timeCreated": "2023-04-05T06:07:08.123Z",
                "updated": "2024-04-05T06:07:08.123Z",
                "etag": "CAE=",
                "metageneration": "3",
                "iamConfiguration": {
                    "uniformBucketLevelAccess": {"enabled": i % 3 != 0, "lockedTime": "2024-07-05T06:07:08Z"},
                    "bucketPolicyOnly": {"enabled": i % 3 != 0},
                    "publicAccessPrevention": "enforced" if i % 4 else "inherited",
                },
                "versioning": {"enabled": i % 2 == 0},
                "lifecycle": {"rule": [{"action": {"type": "Delete"}, "condition": {"age": 365}}]},
                "labels": {"team": f"team-{i % 17}", "env": "prod" if i % 2 else "dev"},
                "softDeletePolicy": {"retentionDurationSeconds": "604800"},
                "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
            },
        )
    if asset_type.endswith("/Disk"):
        zone = f"{rng.choice(['us-central1', 'europe-west1'])}-{rng.choice('abc')}"
        return (
            f"//compute.googleapis.com/projects/{project}/zones/{zone}/disks/disk-{i}",
            zone,
            {
                "id": str(7000000000 + i),
                "name": f"disk-{i}",
                "kind": "compute#disk",
                "sizeGb": "100",
                "status": "READY",
                "type": f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/diskTypes/pd-ssd",
                "zone": f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}",
                "users": [
                    f"https://www.googleapis.com/compute/v1/projects/{project}/zones/{zone}/instances/vm-{i}"
                ],
                "sourceImage": "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/debian-12",
                "diskEncryptionKey": {
                    "kmsKeyName": f"projects/{project}/locations/us/keyRings/r/cryptoKeys/k"
                }
                if i % 2
                else {},
                "labels": {"team": f"team-{i % 17}"},
                "creationTimestamp": "2024-01-02T03:04:05.678-07:00",
                "physicalBlockSizeBytes": "4096",
            },
        )
    if asset_type.endswith("/Firewall"):
        open_world = i % 10 == 0
        return (
            f"//compute.googleapis.com/projects/{project}/global/firewalls/fw-{i}",
            "global",
            {
                "id": str(8000000000 + i),
                "name": f"fw-{i}",
                "network": f"https://www.googleapis.com/compute/v1/projects/{project}/global/networks/default",
                "direction": "INGRESS",
                "priority": 1000,
                "allowed": [{"IPProtocol": "tcp", "ports": ["22"] if open_world else ["443", "8080-8090"]}],
                "sourceRanges": ["0.0.0.0/0"] if open_world else ["10.0.0.0/8"],
                "targetTags": ["web"],
                "disabled": False,
                "logConfig": {"enable": i % 2 == 0},
                "creationTimestamp": "2024-01-02T03:04:05.678-07:00",
                "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/global/firewalls/fw-{i}",
            },
        )
    if asset_type.endswith("/ServiceAccount"):
        email = f"sa-{i}@{project}.iam.gserviceaccount.com"
        return (
            f"//iam.googleapis.com/projects/{project}/serviceAccounts/{100000000 + i}",
            "global",
            {
                "name": f"projects/{project}/serviceAccounts/{email}",
                "projectId": project,
                "uniqueId": str(100000000 + i),
                "email": email,
                "displayName": f"Service account {i}",
                "oauth2ClientId": str(100000000 + i),
                "etag": "MDEwMjE5MjA=",
            },
        )
    if asset_type.endswith("/ServiceAccountKey"):
        email = f"sa-{i}@{project}.iam.gserviceaccount.com"
        return (
            f"//iam.googleapis.com/projects/{project}/serviceAccounts/{email}/keys/{i:040x}",
            "global",
            {
                "name": f"projects/{project}/serviceAccounts/{email}/keys/{i:040x}",
                "validAfterTime": f"20{22 + i % 3}-0{1 + i % 9}-01T00:00:00Z",
                "validBeforeTime": "9999-12-31T23:59:59Z",
                "keyAlgorithm": "KEY_ALG_RSA_2048",
                "keyOrigin": "GOOGLE_PROVIDED",
                "keyType": "USER_MANAGED" if i % 2 else "SYSTEM_MANAGED",
            },
        )
    if asset_type.endswith("/CryptoKey"):
        key = f"projects/{project}/locations/{loc.lower()}/keyRings/ring/cryptoKeys/key-{i}"
        return (
            f"//cloudkms.googleapis.com/{key}",
            loc.lower(),
            {
                "name": key,
                "purpose": "ENCRYPT_DECRYPT",
                "createTime": "2023-01-01T00:00:00Z",
                "nextRotationTime": "2025-04-01T00:00:00Z",
                "rotationPeriod": "7776000s" if i % 3 else "31536000s",
                "primary": {
                    "name": f"{key}/cryptoKeyVersions/1",
                    "state": "ENABLED",
                    "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
                    "protectionLevel": "SOFTWARE",
                },
                "versionTemplate": {
                    "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
                    "protectionLevel": "SOFTWARE",
                },
            },
        )
    if asset_type.endswith("/Instance"):
        return (
            f"//cloudsql.googleapis.com/projects/{project}/instances/sql-{i}",
            "us-central1",
            {
                "name": f"sql-{i}",
                "project": project,
                "databaseVersion": "POSTGRES_15",
                "region": "us-central1",
                "state": "RUNNABLE",
                "backendType": "SECOND_GEN",
                "instanceType": "CLOUD_SQL_INSTANCE",
                "connectionName": f"{project}:us-central1:sql-{i}",
                "ipAddresses": [{"type": "PRIMARY", "ipAddress": f"34.1.{i % 250}.{i % 200}"}],
                "serverCaCert": {
                    "certSerialNumber": "0",
                    "commonName": "C=US,O=Google",
                    "expirationTime": "2033-01-01T00:00:00Z",
                },
                "settings": {
                    "tier": "db-custom-4-16384",
                    "availabilityType": "REGIONAL",
                    "dataDiskSizeGb": "500",
                    "backupConfiguration": {
                        "enabled": i % 4 != 0,
                        "pointInTimeRecoveryEnabled": i % 3 != 0,
                        "startTime": "03:00",
                        "transactionLogRetentionDays": 7,
                        "backupRetentionSettings": {"retainedBackups": 7, "retentionUnit": "COUNT"},
                    },
                    "ipConfiguration": {
                        "ipv4Enabled": True,
                        "requireSsl": i % 2 == 0,
                        "sslMode": "ENCRYPTED_ONLY" if i % 2 == 0 else "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
                        "authorizedNetworks": [{"value": "0.0.0.0/0" if i % 5 == 0 else "203.0.113.0/24"}],
                    },
                    "databaseFlags": [{"name": "log_connections", "value": "on"}],
                    "userLabels": {"team": f"team-{i % 17}"},
                },
            },
        )
    if asset_type.endswith("/Dataset"):
        return (
            f"//bigquery.googleapis.com/projects/{project}/datasets/ds_{i}",
            loc,
            {
                "kind": "bigquery#dataset",
                "id": f"{project}:ds_{i}",
                "datasetReference": {"datasetId": f"ds_{i}", "projectId": project},
                "location": loc,
                "access": [
                    {"role": "OWNER", "specialGroup": "projectOwners"},
                    {"role": "READER", "specialGroup": "projectReaders"},
                ],
                "creationTime": "1700000000000",
                "lastModifiedTime": "1700000000000",
                "defaultEncryptionConfiguration": {
                    "kmsKeyName": f"projects/{project}/locations/us/keyRings/r/cryptoKeys/k"
                },
            },
        )
    return (
        f"//cloudresourcemanager.googleapis.com/projects/{project}",
        "global",
        {
            "projectNumber": str(100000 + i),
            "projectId": project,
            "lifecycleState": "ACTIVE",
            "name": project,
            "createTime": "2020-01-01T00:00:00Z",
            "parent": {"type": "folder", "id": "45"},
        },
    )


def _policy(i: int, project_level: bool) -> dict[str, Any]:
    members = [f"user:person-{i % 900}@acme.com", f"serviceAccount:sa-{i}@acme.iam.gserviceaccount.com"]
    policy: dict[str, Any] = {
        "version": 1,
        "bindings": [
            {"role": "roles/owner" if i % 7 == 0 else "roles/viewer", "members": members},
            {"role": "roles/storage.objectViewer", "members": ["allUsers"] if i % 50 == 0 else members[:1]},
        ],
        "etag": "BwYk4nS0Z5A=",
    }
    if project_level:
        policy["auditConfigs"] = [
            {
                "service": "allServices",
                "auditLogConfigs": [{"logType": "ADMIN_READ"}, {"logType": "DATA_READ"}],
            }
        ]
    return policy


def generate(path: Path, count: int, seed: int = 7) -> int:
    """Write `count` assets; returns the file size in bytes."""
    rng = random.Random(seed)
    types = [t for t, _ in MIX]
    weights = [w for _, w in MIX]
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            asset_type = rng.choices(types, weights)[0]
            project = f"acme-p{i % 500}"
            name, location, data = _data(asset_type, i, project, rng)
            asset: dict[str, Any] = {
                "name": name,
                "asset_type": asset_type,
                "ancestors": [f"projects/{100000 + i % 500}", FOLDER, ORG],
                "update_time": "2025-01-02T03:04:05.678901Z",
                "resource": {
                    "version": "v1",
                    "discovery_document_uri": f"https://www.googleapis.com/discovery/v1/apis/{asset_type.split('.')[0]}/v1/rest",
                    "discovery_name": asset_type.rsplit("/", 1)[1],
                    "parent": f"//cloudresourcemanager.googleapis.com/projects/{100000 + i % 500}",
                    "location": location,
                    "data": data,
                },
            }
            if asset_type.endswith(("/Project", "/Bucket", "/ServiceAccount", "/Dataset")) and i % 3 == 0:
                asset["iam_policy"] = _policy(i, asset_type.endswith("/Project"))
            if i % 4 == 0:  # camelCase, as the API and `gcloud --format=json` print
                asset = {"assetType" if k == "asset_type" else k: v for k, v in asset.items()}
                asset["updateTime"] = asset.pop("update_time")
                if "iam_policy" in asset:
                    asset["iamPolicy"] = asset.pop("iam_policy")
                resource_ = asset["resource"]
                resource_["discoveryName"] = resource_.pop("discovery_name")
                resource_["discoveryDocumentUri"] = resource_.pop("discovery_document_uri")
            out.write(json.dumps(asset, separators=(",", ":")))
            out.write("\n")
    return path.stat().st_size


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """User + system CPU seconds of this process and its waited-for children (the import's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(export: Path, work: Path) -> dict[str, Any]:
    """In this process: init a locker, import the export into one run, commit; then facts + checks."""
    from trustctl import pipeline
    from trustctl.collectors.gcp.exports import import_exports
    from trustctl.config import load_config
    from trustctl.evidence import signing
    from trustctl.evidence.locker import Locker

    figures: dict[str, Any] = {"rss_before_mib": _rss_mib()}
    made = pipeline.init(work, "Bench Co")
    config = load_config(made.config)
    key = signing.load_private_key(config.key_path)
    locker = Locker.open(config.locker_path)
    start, cpu = time.perf_counter(), _cpu_s()
    writer = locker.begin_run(key, config.organization.name, config.digest)
    try:
        figures["malformed"] = import_exports([export], writer)
        manifest = writer.commit(["gcp"])
    finally:
        writer.close()
    figures["import_s"] = time.perf_counter() - start
    figures["import_cpu_s"] = _cpu_s() - cpu
    figures["import_rss_peak_mib"] = _rss_mib()
    figures["records"] = len(manifest.requests)
    figures["locker_bytes"] = sum(p.stat().st_size for p in locker.iter_object_paths())
    figures.update(_check(locker, manifest, config))
    figures["total_rss_peak_mib"] = _rss_mib()
    return figures


def _check(locker: Any, manifest: Any, config: Any) -> dict[str, Any]:
    try:
        from trustctl.facts import gcp as gcp_facts
    except ImportError:
        return {"check": "trustctl.facts.gcp does not exist yet: facts and checks not timed"}
    try:
        from trustctl.controls.engine import evaluate
        from trustctl.controls.registry import all_checks  # registers every check
        from trustctl.facts.base import Evidence, FactSet, normalize

        start, cpu = time.perf_counter(), _cpu_s()
        evidence = Evidence(locker, manifest)
        tables = {n.resource_type: normalize(evidence, n) for n in gcp_facts.NORMALIZERS}
        facts = FactSet(evidence.as_of, tables)
        facts_s, facts_cpu_s = time.perf_counter() - start, _cpu_s() - cpu
        checks = {k: v for k, v in all_checks().items() if k.startswith("gcp.")}
        start, cpu = time.perf_counter(), _cpu_s()
        evaluation = evaluate(facts, config.policy, [], datetime.now(UTC).date(), checks=checks)
        statuses: dict[str, int] = {}
        for r in evaluation.results:
            statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
        return {
            "facts_s": facts_s,
            "facts_cpu_s": facts_cpu_s,
            "evaluate_s": time.perf_counter() - start,
            "evaluate_cpu_s": _cpu_s() - cpu,
            "fact_rows": sum(len(t.frame) for t in tables.values()),
            "checks": len(checks),
            "results": len(evaluation.results),
            "statuses": statuses,
        }
    except Exception as e:  # the GCP facts and checks are being written in parallel
        return {"check": f"facts/checks over the run failed: {type(e).__name__}: {e}"}


def table(assets: int, size: int, gen_s: float, f: dict[str, Any]) -> str:
    rows = [
        ("assets (lines)", f"{assets:,}"),
        ("export size", f"{size / 2**20:,.0f} MiB"),
        ("generate (not timed below)", f"{gen_s:.1f} s"),
        (
            "import + commit",
            f"{f['import_s']:.1f} s, {f['import_cpu_s']:.1f} s CPU (target < {TARGET_SECONDS:.0f} s)",
        ),
        ("peak RSS after import", f"{f['import_rss_peak_mib']:,.0f} MiB (target < {TARGET_MIB:,.0f} MiB)"),
        ("malformed lines", str(f["malformed"])),
        ("manifest records", f"{f['records']:,}"),
        ("locker objects (gzip)", f"{f['locker_bytes'] / 2**20:,.0f} MiB"),
    ]
    if "facts_s" in f:
        rows += [
            (
                "build GCP facts",
                f"{f['facts_s']:.1f} s, {f['facts_cpu_s']:.1f} s CPU ({f['fact_rows']:,} rows)",
            ),
            (
                "evaluate GCP checks",
                f"{f['evaluate_s']:.1f} s, {f['evaluate_cpu_s']:.1f} s CPU ({f['checks']} checks, "
                f"{f['results']:,} results)",
            ),
            ("statuses", ", ".join(f"{k} {v:,}" for k, v in sorted(f["statuses"].items()))),
            ("peak RSS after checks", f"{f['total_rss_peak_mib']:,.0f} MiB (target < {TARGET_MIB:,.0f} MiB)"),
        ]
    else:
        rows.append(("facts + checks", f["check"]))
    ok = f["import_s"] < TARGET_SECONDS and f["import_rss_peak_mib"] < TARGET_MIB
    rows.append(("import within target", "yes" if ok else "NO"))
    if "facts_s" in f:  # the target: import + check
        total = f["import_s"] + f["facts_s"] + f["evaluate_s"]
        rows.append(("import + facts + checks", f"{total:.1f} s (target < {TARGET_SECONDS:.0f} s)"))
        ok = total < TARGET_SECONDS and f["total_rss_peak_mib"] < TARGET_MIB
        rows.append(("import + check within target", "yes" if ok else "NO"))
    lines = ["| measure | value |", "| --- | --- |", *(f"| {k} | {v} |" for k, v in rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=200_000)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--measure", nargs=2, type=Path, metavar=("EXPORT", "WORKDIR"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    with tempfile.TemporaryDirectory(prefix="trustctl-gcp-bench-") as tmp:
        export = Path(tmp) / "assets.json"
        start = time.perf_counter()
        size = generate(export, args.assets)
        gen_s = time.perf_counter() - start
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(export), str(Path(tmp) / "work")],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(table(args.assets, size, gen_s, figures))
    if args.json:
        args.json.write_text(json.dumps({"assets": args.assets, "size": size, **figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
