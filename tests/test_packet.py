"""The demo's SOC 2 audit packet: what the PDF says matches `status --format json`, the workbook matches
`check --format json`, SOC 3 is general-use, and packet.zip verifies offline (trustctl, sha256sum,
openssl) while any altered, added or removed file, or another key, is reported with exit 5.

`make test` alters and removes one file of every kind in the packet and a seeded sample of the rest
(TRUSTCTL_SWEEP_SEED repeats it); `make test-deep` (TRUSTCTL_SWEEP_ALL=1) every file."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from trustctl.evidence import signing
from trustctl.packet.bundle import SUMS, SUMS_SIGNATURE, sums_text
from trustctl.packet.verify import verify_packet

SWEEP_ALL = os.environ.get("TRUSTCTL_SWEEP_ALL") == "1"
SAMPLE = 24  # files beyond one of every kind, each altered and removed


def swept(names: list[str]) -> list[str]:
    """One file of every kind (its path with hashes and numbers masked) and a seeded sample of the rest,
    or every file under TRUSTCTL_SWEEP_ALL=1."""
    if SWEEP_ALL:
        return names
    kinds: dict[str, str] = {}
    for name in names:
        kinds.setdefault(re.sub(r"[0-9a-f]{8,}|\d+", "#", name), name)
    rest = [n for n in names if n not in kinds.values()]
    rng = random.Random(os.environ.get("TRUSTCTL_SWEEP_SEED", "0"))
    return [*kinds.values(), *rng.sample(rest, min(SAMPLE, len(rest)))]


def trustctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trustctl.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("packet")
    ran = trustctl("demo", "--out", "demo", cwd=root)
    assert ran.returncode == 0, ran.stderr
    (root / "demo-stdout.txt").write_text(ran.stdout)
    return root / "demo"


def test_demo_runs_the_whole_pipeline(demo: Path) -> None:
    """`trustctl demo` (the whole 90-day history, as `make demo` runs it) writes every report."""
    stdout = (demo.parent / "demo-stdout.txt").read_text()
    for name in ("check.json", "check.sarif", "check.md", "check.junit.xml", "trustctl-inventory.txt"):
        assert (demo / "reports" / name).exists(), name
    assert "aws.iam.user_console_mfa" in stdout and str(demo / "reports" / "check.sarif") in stdout
    report = json.loads((demo / "reports" / "check.json").read_text())
    assert len({r["account"] for r in report["results"] if r["provider"] == "aws"}) == 3
    # People and tenants: a leaver still active in one app, a tenant outside its region.
    assert any(
        r["check"] == "identity.leaver_access_removed"
        and r["status"] == "fail"
        and r["resource"].startswith("scim:")
        for r in report["results"]
    )
    assert any(
        r["check"] == "isolation.tenant_residency" and r["status"] == "fail" for r in report["results"]
    )
    for name in (
        "leavers.txt",
        "leavers.json",
        "trust/trust.html",
        "trust/trust.pdf",
        "trust-globex/trust.html",
        "trust-site/index.html",
        "trust-site/verify.html",
    ):
        assert (demo / "reports" / name).exists(), name
    assert {r["account"] for r in report["results"] if r["provider"] == "gcp"} == {"export:gcp-assets.json"}
    assert (
        report["summary"]["fail"] > 0 and report["summary"]["pass"] > 0 and report["summary"]["waived"] == 1
    )
    assert report["summary"]["error"] == 0
    # The SARIF's locations are lines of the inventory written beside it.
    sarif = json.loads((demo / "reports" / "check.sarif").read_text())
    inventory = (demo / "reports" / "trustctl-inventory.txt").read_text().splitlines()
    for result in sarif["runs"][0]["results"]:
        [location] = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"] == "reports/trustctl-inventory.txt"
        assert 1 <= physical["region"]["startLine"] <= len(inventory)
    assert trustctl("verify", str(demo / ".trustctl" / "locker"), cwd=demo).returncode == 0


@pytest.fixture(scope="module")
def packet_dir(demo: Path) -> Path:
    [found] = list((demo / "packets").glob("soc2-*"))
    return found


def pdftotext(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_says_what_status_json_says(demo: Path, packet_dir: Path) -> None:
    ran = trustctl("status", "--framework", "soc2", "--format", "json", "--config", "trustctl.toml", cwd=demo)
    [status] = json.loads(ran.stdout)
    text = pdftotext(packet_dir / "packet.pdf")
    lines = text.splitlines()
    assert "Acme" in text and status["framework"]["name"] in text and "Page 2 of" in text
    summary = status["summary"]
    counts = ", ".join(f"{summary[s]} {s}" for s in status["summary"] if s in STATUSES and summary[s])
    assert f"{summary['requirements']}: {counts}" in " ".join(text.split())
    for requirement in status["requirements"]:
        rows = [line for line in lines if line.strip().startswith(requirement["id"] + " ")]
        assert any(requirement["status"] in row for row in rows), requirement["id"]
    packet = json.loads((packet_dir / "packet.json").read_text())
    flat = " ".join(text.split())
    for requirement, mine in zip(status["requirements"], packet["requirements"], strict=True):
        results = sum(sum(c["results"].values()) for c in requirement["controls"])
        assert mine["results"] == results, requirement["id"]
        heading = flat.rindex(f"{requirement['id']} {requirement['name']} {requirement['status']}")
        assert flat[heading:].split("Evidence: ", 1)[1].startswith(f"{results} result(s)"), requirement["id"]
    assert {q["id"]: q["status"] for q in packet["requirements"]} == {
        q["id"]: q["status"] for q in status["requirements"]
    }
    # The leaver chain is rendered when identity evidence exists.
    assert "Leavers: the deprovisioning chain" in text and "carol@acme.example" in text


STATUSES = ("met", "partial", "not_met", "needs_document", "no_evidence", "error", "not_applicable")


def test_workbook_rows_match_check_json(demo: Path, packet_dir: Path) -> None:
    ran = trustctl("check", "--framework", "soc2", "--format", "json", "--config", "trustctl.toml", cwd=demo)
    report = json.loads(ran.stdout)
    book = load_workbook(packet_dir / "results.xlsx", read_only=True)
    assert {"soc2 requirements", "results", "documents", "runs", "coverage", "failures"} <= set(
        book.sheetnames
    )
    rows = list(book["results"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    as_dicts = [dict(zip(header, row, strict=True)) for row in body]
    key = ("check", "resource", "status", "severity", "account", "region", "reason")
    assert Counter(tuple(r[k] for k in key) for r in as_dicts) == Counter(
        tuple(r[k] for k in key) for r in report["results"]
    )
    for mine, theirs in zip(as_dicts, report["results"], strict=False):
        if (mine["check"], mine["resource"]) == (theirs["check"], theirs["resource"]):
            # Written for a reader: "soc2: CC6.1, CC6.2; iso27001_2022: 8.5", not a JSON string.
            said = {
                f: ids.split(", ")
                for f, _, ids in (p.partition(": ") for p in (mine["requirements"] or "").split("; ") if p)
            }
            assert said == {f: ids for f, ids in theirs["requirements"].items() if ids}
            assert (mine["evidence"] or "").split() == theirs["evidence"]
    requirements = list(book["soc2 requirements"].iter_rows(values_only=True))
    assert len(requirements) - 1 == len(json.loads((packet_dir / "packet.json").read_text())["requirements"])


def test_soc3_is_a_general_use_summary(demo: Path, tmp_path: Path) -> None:
    ran = trustctl(
        "packet",
        "--framework",
        "soc3",
        "--sample",
        "1",
        "--out",
        str(tmp_path / "soc3"),
        "--config",
        "trustctl.toml",
        cwd=demo,
    )
    assert ran.returncode == 0, ran.stderr
    text = pdftotext(tmp_path / "soc3" / "packet.pdf")
    assert "GENERAL-USE REPORT" in text and "CC6.1" in text and "not_met" in text
    assert "arn:aws" not in text and "Failing resources" not in text and "carol" not in text
    assert trustctl("verify", str(tmp_path / "soc3" / "packet.zip"), cwd=tmp_path).returncode == 0


def test_packet_verifies_with_trustctl_sha256sum_and_openssl(
    demo: Path, packet_dir: Path, tmp_path: Path
) -> None:
    ran = trustctl("verify", str(packet_dir / "packet.zip"), "--config", "trustctl.toml", cwd=demo)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "the trusted key from the locker" in ran.stdout
    # The cover prints the key's fingerprint beside the locker head, to compare with what `init` printed.
    key = signing.fingerprint(
        signing.load_public_key((demo / ".trustctl/locker/public-key.pem").read_bytes())
    )
    cover = " ".join(pdftotext(packet_dir / "packet.pdf").split("Contents")[0].split())
    assert "Locker head sha256:" in cover and f"Signing key fingerprint {key}" in cover, cover
    assert (
        f'<th>Signing key fingerprint</th><td class="mono wrap">{key}</td>'
        in (packet_dir / "packet.html").read_text()
    )
    with zipfile.ZipFile(packet_dir / "packet.zip") as archive:
        archive.extractall(tmp_path)
        names = archive.namelist()
    assert {"packet.pdf", "packet.html", "results.xlsx", "public-key.pem", SUMS, SUMS_SIGNATURE} <= set(names)
    assert any(n.startswith("evidence/") for n in names) and any(
        n.endswith("manifest.json.sig") for n in names
    )
    assert subprocess.run(["sha256sum", "--quiet", "-c", SUMS], cwd=tmp_path).returncode == 0
    if shutil.which("openssl"):
        base = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "public-key.pem", "-rawin"]
        ok = subprocess.run(
            [*base, "-in", SUMS, "-sigfile", SUMS_SIGNATURE], cwd=tmp_path, capture_output=True
        )
        assert ok.returncode == 0 and b"Signature Verified Successfully" in ok.stdout
        manifest = next(n for n in names if n.endswith("/manifest.json"))
        ok = subprocess.run([*base, "-in", manifest, "-sigfile", manifest + ".sig"], cwd=tmp_path)
        assert ok.returncode == 0


def rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> None:
    """Copy a zip, replacing (bytes), removing (None) or adding entries."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for name in src.namelist():
            if name not in change:
                dst.writestr(name, src.read(name))
        for name, data in change.items():
            if data is not None:
                dst.writestr(name, data)


def test_any_single_altered_added_or_removed_file_is_named(packet_dir: Path, tmp_path: Path) -> None:
    source = packet_dir / "packet.zip"
    assert verify_packet(source).ok
    with zipfile.ZipFile(source) as archive:
        contents = {n: archive.read(n) for n in archive.namelist()}
    target = tmp_path / "changed.zip"
    for name in swept(list(contents)):
        data = contents[name]
        rewrite(source, target, {name: data + b"\n"})
        report = verify_packet(target)
        assert any(p.startswith(name + ":") or f" {name} " in p for p in report.problems), (
            name,
            report.problems,
        )
        rewrite(source, target, {name: None})
        report = verify_packet(target)
        assert report.problems and any(name in p for p in report.problems), (name, report.problems)
    for added in ("evidence/" + "0" * 64, "notes.txt", "runs/extra/manifest.json"):
        rewrite(source, target, {added: b"{}"})
        assert any(p.startswith(f"{added}: added") for p in verify_packet(target).problems), added


def test_another_key_is_reported(demo: Path, packet_dir: Path, tmp_path: Path) -> None:
    assert trustctl("init", "--org", "Other", cwd=tmp_path).returncode == 0
    source = packet_dir / "packet.zip"
    # The right packet checked against another organization's key.
    ran = trustctl("verify", str(source), "--config", str(tmp_path / "trustctl.toml"), cwd=tmp_path)
    assert ran.returncode == 5 and "signed by another key" in ran.stdout, ran.stdout
    # A packet re-signed with another key: self-consistent SHA256SUMS, but the manifests do not verify,
    # and against the organization's own key it is reported as another key.
    key = signing.create_key(tmp_path / "attacker.pem")
    with zipfile.ZipFile(source) as archive:
        files = {n: archive.read(n) for n in archive.namelist() if n not in (SUMS, SUMS_SIGNATURE)}
    files["public-key.pem"] = signing.public_pem(key)
    sums = sums_text(files)
    forged = tmp_path / "forged.zip"
    rewrite(
        source,
        forged,
        {"public-key.pem": files["public-key.pem"], SUMS: sums, SUMS_SIGNATURE: signing.sign(key, sums)},
    )
    report = verify_packet(forged)
    assert any("manifest.json: signature does not verify" in p for p in report.problems)
    ran = trustctl("verify", str(forged), "--config", "trustctl.toml", cwd=demo)
    assert ran.returncode == 5 and "signed by another key" in ran.stdout
    ran = trustctl(
        "verify", str(forged), "--key", str(demo / ".trustctl" / "locker" / "public-key.pem"), cwd=tmp_path
    )
    assert ran.returncode == 5 and "signed by another key" in ran.stdout
    # The fingerprint `init` printed works as --key too.
    pem = (demo / ".trustctl" / "locker" / "public-key.pem").read_bytes()
    fingerprint = signing.fingerprint(signing.load_public_key(pem))
    ran = trustctl("verify", str(forged), "--key", fingerprint, cwd=tmp_path)
    assert ran.returncode == 5 and "signed by another key" in ran.stdout
    assert trustctl("verify", str(source), "--key", fingerprint, cwd=tmp_path).returncode == 0


def test_every_request_list_item_names_its_evidence_or_says_it_is_missing(packet_dir: Path) -> None:
    packet = json.loads((packet_dir / "packet.json").read_text())
    items = packet["request_list"]
    assert len(items) >= 30 and {i["kind"] for i in items} == {
        "population",
        "sample",
        "configuration",
        "policy",
        "report",
    }
    with zipfile.ZipFile(packet_dir / "packet.zip") as archive:
        names = set(archive.namelist())
        csv_rows = archive.read("request-list.csv").decode().splitlines()
    assert len(csv_rows) == len(items) + 1
    for item in items:
        if item["status"] == "missing":
            assert item["note"] and not item["evidence"], item
        else:
            assert item["status"] in ("evidence", "document") and item["evidence"], item
            assert all(f"evidence/{h}" in names for h in item["evidence"]), item["id"]
            assert item["where"], item
    by_id = {i["id"]: i for i in items}
    # The demo's pen test is filed (CHG-03); its board minutes expired; its MFA is collected.
    assert by_id["SOC-R02"]["status"] == "document" and "pen-test-2026.md" in by_id["SOC-R02"]["note"]
    assert by_id["SOC-R01"]["status"] == "missing" and "expired on" in by_id["SOC-R01"]["note"]
    assert by_id["SOC-C01"]["status"] == "evidence" and "CC6.1" in by_id["SOC-C01"]["requirements"]
    text = " ".join(pdftotext(packet_dir / "packet.pdf").split())
    counts = Counter(i["status"] for i in items)
    assert (
        f"{len(items)}: {counts['evidence']} provided by evidence, {counts['document']} provided by a "
        f"document, {counts['missing']} missing" in text
    )


def test_pages_agree_on_the_run_counts_and_show_evidence_hashes(packet_dir: Path) -> None:
    runs = json.loads((packet_dir / "packet.json").read_text())["runs"]
    documents = [r for r in runs if r["providers"] == ["documents"]]
    collection = [r for r in runs if r["in_period"] and r not in documents]
    assert documents and collection
    # Words weasyprint hyphenated at a line end are joined again.
    text = " ".join(pdftotext(packet_dir / "packet.pdf").split()).replace("\u2010 ", "")
    cover = text.split("Contents")[0]
    before = [r for r in runs if not r["in_period"] and r not in documents]
    assert (
        f"Runs {len(collection)} collection run(s) in the period ({len(runs)} under Evidence runs, with "
        f"{len(documents)} that added documents and {len(before)} from before the period)" in cover
    ), cover
    assert (
        f"The {len(runs)} signed runs this packet draws on, in chain order: {len(collection)} collection"
        in text
    )
    assert f"Collection runs {len(collection)} in the period" in text.rsplit("Methodology", 1)[1]
    # Every failing row shown links its evidence object in the zip; no header breaks mid-word.
    html = (packet_dir / "packet.html").read_text()
    assert 'href="evidence/' in html and "Severit y" not in text
    # The demo's policy is filed against GOV-01: CC1.1 asks for a policy and says how to file it there.
    assert "information-security-policy.md (filed against GOV-01) is not linked to this requirement" in text
