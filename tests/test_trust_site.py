"""The trust center site (`trust-report --site`) and every trust level over the demo company, generated
once for the module: pages exist and every relative link resolves; no account id, ARN, resource, user or
person from the demo reaches any page of any level (HTML, PDF text, site files); public pages and the
site carry no failure count or readiness percentage; Globex's report says nothing about another tenant;
the Lambda@Edge gate (real Node) lets a document through only with a valid token that grants it; a real
Chromium renders the pages at phone and desktop widths and checks a real share link."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import ROOT, Ran
from trustctl import pipeline
from trustctl.assessment import Assessment
from trustctl.evidence import signing
from trustctl.trust import share

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NODE = shutil.which("node")
BASE = "https://trust.acme.example"


def _run(cwd: Path, *args: str, timeout: int = 300) -> Ran:
    proc = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr)


@dataclass(frozen=True)
class Demo:
    root: Path
    site: Path
    levels: dict[str, Path]  # public | nda | globex -> the directory of trust.html and trust.pdf
    forbidden: list[re.Pattern[str]]
    assessed: Assessment  # evaluated once: every report here renders it


def _identifiers(root: Path) -> list[re.Pattern[str]]:
    """Every account id, ARN, cloud resource, IAM user and person of the demo, as patterns."""
    results = json.loads((root / "reports" / "check.json").read_text())["results"]
    exact: set[str] = {"arn:aws:", "googleapis.com/"}
    words: set[str] = set()
    for r in results:
        exact.update(re.findall(r"\b\d{12}\b", f"{r['account']} {r['resource']}"))
        for part in re.split(r"[/:#]", r["resource"]):
            # distinctive resource names (acme-prod, globex-orders, BreakGlassAdmin, vol-...), not words
            if len(part) >= 6 and (re.search(r"[-\d]", part) or re.search(r"[a-z][A-Z]", part)):
                exact.add(part)
        if ":user/" in r["resource"]:
            words.add(r["resource"].rsplit("/", 1)[1])
    with (root / "hr" / "roster.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            exact.update({row["email"].lower(), row["name"]})
    exact -= {"eu-west-1", "us-east-1", "europe-west1", "gcp-assets.json"}  # regions are public facts
    return [re.compile(re.escape(e), re.I) for e in sorted(exact)] + [
        re.compile(rf"\b{re.escape(w)}\b") for w in sorted(words)
    ]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    root = tmp_path_factory.mktemp("site") / "demo"
    ran = _run(root.parent, "demo", "--out", str(root), "--days", "3", timeout=600)
    assert ran.code == 0, ran.stderr
    # The site through the command; the levels from one assessment (each command would assess again).
    made = _run(root, "trust-report", "--site", "site")
    assert made.code == 0 and made.stdout.startswith("site  site/index.html ("), made.stderr
    config = pipeline.load(root / "trustctl.toml")
    assessed = pipeline.assessment(config, judge_on_evidence_day=True)
    levels = {"public": root / "t-public", "nda": root / "t-nda", "globex": root / "t-globex"}
    pipeline.trust_report(config, levels["public"], assessed=assessed)
    pipeline.trust_report(config, levels["nda"], level="nda", assessed=assessed)
    pipeline.trust_report(config, levels["globex"], level="nda", customer="globex", assessed=assessed)
    return Demo(root, root / "site", levels, _identifiers(root), assessed)


def _visible(html: str) -> str:
    """The words a reader sees: no style, script or shell examples, no tags."""
    html = re.sub(r"<(style|script|pre)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_site_pages_exist_and_every_relative_link_resolves(demo: Demo) -> None:
    site = demo.site
    for name in ("index.html", "documents.html", "documents/index.html", "verify.html", "DEPLOY.md"):
        assert (site / name).is_file(), name
    assert (site / "edge" / "documents-gate.js").is_file()
    areas = sorted(p.name for p in (site / "areas").iterdir())
    assert areas, "the demo has areas in place"
    index = (site / "index.html").read_text()
    # [trust] in_progress = ["soc2"]: SOC 2 shows as in progress, frameworks Acme is not working toward
    # are left out rather than claimed.
    words = _visible(index)
    assert "SOC 2 in progress" in words, words
    assert not any(name in words for name in ("ISO/IEC 27001", "HIPAA", "FERPA", "SOC 3")), words
    for area in areas:
        assert f'href="areas/{area}"' in index
        assert "Criteria it supports" in (site / "areas" / area).read_text(), area
    checked = 0
    for page in _html_pages(site):
        html = page.read_text()
        for href in re.findall(r'(?:href|src)="([^"]*)"', html):
            if href.startswith("mailto:"):
                continue
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc and not href.startswith("/"), (page, href)
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file() and site.resolve() in target.parents, (page, href)
            checked += 1
    assert checked > 20
    # Documents are listed by title, kind and date, never their content; none is written into the site.
    documents = (site / "documents.html").read_text()
    assert "information-security-policy.md" in documents and "Request access" in documents
    assert "Approved by the CEO" not in "".join(p.read_text() for p in site.rglob("*") if p.is_file())
    assert not (site / "documents" / "information-security-policy.md").exists()
    # The verifier carries the locker's key; the deploy note tells the truth about static hosting.
    key = signing.load_public_key((demo.root / ".trustctl" / "locker" / "public-key.pem").read_bytes())
    assert signing.fingerprint(key) in (site / "verify.html").read_text()
    deploy = (site / "DEPLOY.md").read_text()
    for said in ("cannot read the token", "never upload the documents themselves", "Origin Access Control"):
        assert said in deploy, said


def test_no_identifier_reaches_any_level_or_page(demo: Demo) -> None:
    texts: dict[str, str] = {}
    for level, out in demo.levels.items():
        texts[f"{level}/trust.html"] = (out / "trust.html").read_text()
        texts[f"{level}/trust.pdf"] = _pdf_text(out / "trust.pdf")
    for path in demo.site.rglob("*"):
        if path.is_file():
            texts[f"site/{path.relative_to(demo.site)}"] = path.read_text()
            texts[f"site name {path.relative_to(demo.site)}"] = str(path.relative_to(demo.site))
    assert len(demo.forbidden) > 30
    for name, text in texts.items():
        for pattern in demo.forbidden:
            assert not pattern.search(text), (name, pattern.pattern)


def test_public_pages_and_site_state_no_count_or_percentage(demo: Demo) -> None:
    pages = {"public": (demo.levels["public"] / "trust.html").read_text()}
    pages.update({str(p.relative_to(demo.site)): p.read_text() for p in _html_pages(demo.site)})
    pdf = _pdf_text(demo.levels["public"] / "trust.pdf")
    pages["public pdf"] = re.sub(r"Page \d+ of \d+", "", pdf)  # the page footer
    for name, html in pages.items():
        words = _visible(html)
        assert not re.search(r"\b\d+ of \d+\b", words), (name, words)
        assert "%" not in words, name
        for said in ("attention", "finding", "failing", "not met", "requirements met", "exception"):
            assert said not in words.lower(), (name, said)
    # Every area the site links is one whose statements hold everywhere; each states what is in place.
    for page in (demo.site / "areas").iterdir():
        assert "in place" in page.read_text()


def test_the_customer_report_is_about_globex_alone(demo: Demo) -> None:
    html = (demo.levels["globex"] / "trust.html").read_text()
    pdf = _pdf_text(demo.levels["globex"] / "trust.pdf")
    assert "Prepared for Globex Corporation, confidential" in html
    assert "Kept in cloud accounts of your own, as agreed" in html
    for text in (html, pdf):
        for other in ("initech", "Initech", "umbrella", "Umbrella", "customers have", "customers requiring"):
            assert other not in text, other
        # no "backed up" beside "no recovery point"
        assert not ("no recovery point" in text and "backed up as policy requires" in text)


def test_held_certifications_read_honestly(demo: Demo) -> None:
    config = (demo.root / "trustctl.toml").read_text()
    held = demo.root / "trustctl-held.toml"  # beside the original: its relative paths still hold
    held.write_text(
        config.replace(
            "[certifications]\n",
            "[certifications]\n"
            'soc2_type1 = { issued = 2026-06-30, auditor = "Example CPA LLP" }\n'
            'soc2_type2 = { observation_until = 2027-03-31, observation_from = 2026-10-01, auditor = "Example CPA LLP" }\n'
            "hipaa = { issued = 2026-05-04 }\n"
            'ferpa = { issued = 2026-08-17, assessed_by = "Campus Privacy Partners" }\n',
            1,
        )
    )
    assert held.read_text() != config
    holding = pipeline.load(held)
    pipeline.trust_report(holding, demo.root / "t-held", assessed=demo.assessed)
    words = _visible((demo.root / "t-held" / "trust.html").read_text())
    assert "HIPAA Security Rule attested self-attested on 4 May 2026" in words
    assert "FERPA attested assessed by Campus Privacy Partners on 17 Aug 2026" in words
    assert "SOC 2 Type I held audited by Example CPA LLP; report dated 30 Jun 2026" in words
    assert "SOC 2 Type II in observation in observation from 1 Oct 2026 until 31 Mar 2027" in words
    hipaa = words[words.index("HIPAA Security Rule") :][:80]
    assert "report" not in hipaa, hipaa
    pipeline.trust_site(holding, demo.root / "site-held", assessed=demo.assessed)
    assert "self-attested on 4 May 2026" in (demo.root / "site-held" / "index.html").read_text()
    # HIPAA has no audit report: an auditor is refused, naming the file and the key.
    held.write_text(
        held.read_text().replace(
            "hipaa = { issued = 2026-05-04 }", 'hipaa = { issued = 2026-05-04, auditor = "X" }'
        )
    )
    bad = _run(demo.root, "trust-report", "--config", str(held), "--out", "t-bad")
    assert bad.code == 1 and "trustctl-held.toml: invalid value for 'certifications.hipaa'" in bad.stderr
    assert not (demo.root / "t-bad").exists()


def test_site_refuses_other_levels_and_foreign_directories(demo: Demo) -> None:
    for extra in (["--customer", "globex"], ["--level", "nda"], ["--out", "x"]):
        ran = _run(demo.root, "trust-report", "--site", "s2", *extra)
        assert ran.code == 2 and "the site is public" in ran.stderr, extra
    mine = demo.root / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    refused = _run(demo.root, "trust-report", "--site", "mine")
    assert refused.code == 1 and "was not written by `trust-report --site`" in refused.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    # A rewrite replaces the site's own files (an area page no longer in place goes) and keeps others.
    stale = demo.site / "areas" / "gone.html"
    marker = demo.site / ".trustctl-site"
    marker.write_text(marker.read_text() + "areas/gone.html\n")
    stale.write_text("old")
    (demo.site / "documents" / "kept.pdf").write_text("a file the user put there")
    pipeline.trust_site(pipeline.load(demo.root / "trustctl.toml"), demo.site, assessed=demo.assessed)
    assert not stale.exists() and (demo.site / "documents" / "kept.pdf").exists()


def _key(demo: Demo) -> signing.Ed25519PrivateKey:
    return signing.signing_key(demo.root / ".trustctl" / "signing-key.pem")


@pytest.mark.skipif(NODE is None, reason="Node.js is not installed")
def test_the_edge_gate_passes_only_valid_tokens_for_granted_documents(demo: Demo) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key, now = _key(demo), datetime.now(UTC)
    one = share.issue(key, "a@b.example", ["pen-test-2026.md"], timedelta(days=1), now).token
    every = share.issue(key, "a@b.example", "all", timedelta(days=1), now).token
    old = share.issue(key, "a@b.example", "all", timedelta(hours=1), now - timedelta(days=2)).token
    other = share.issue(Ed25519PrivateKey.generate(), "a@b.example", "all", timedelta(days=1), now).token
    part, signature = every.split(".")
    changed = part[:-2] + ("A" if part[-2] != "A" else "B") + part[-1] + "." + signature
    cases = [
        ("/documents/pen-test-2026.md", one, "200"),
        ("/documents/information-security-policy.md", one, "403"),
        ("/documents/information-security-policy.md", every, "200"),
        ("/documents/pen-test-2026.md", old, "403"),
        ("/documents/pen-test-2026.md", other, "403"),
        ("/documents/pen-test-2026.md", changed, "403"),
        ("/documents/pen-test-2026.md", "", "403"),
        ("/documents/", "", "200"),
        ("/index.html", "", "200"),
    ]
    script = """
const gate = require(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
(async () => {
  const out = [];
  for (const [uri, token] of cases) {
    const request = { uri, querystring: token ? "token=" + token : "", headers: {} };
    const answer = await gate.handler({ Records: [{ cf: { request } }] });
    out.push([answer.status || "200", answer.uri || "", answer.body || ""]);
  }
  console.log(JSON.stringify(out));
})();
"""
    gate = demo.site / "edge" / "documents-gate.js"
    ran = subprocess.run(
        [str(NODE), "-e", script, str(gate), json.dumps([[u, t] for u, t, _ in cases])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    answers = json.loads(ran.stdout)
    assert [a[0] for a in answers] == [c[2] for c in cases], list(zip(cases, answers, strict=True))
    assert answers[7][1] == "/documents/index.html"  # S3 has no directory index
    assert "does not grant this document" in answers[1][2] and "expired" in answers[3][2]
    assert "does not verify" in answers[4][2] and "does not verify" in answers[5][2]


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/system-deps.sh installs it)")
def test_the_site_renders_and_checks_a_link_in_a_real_browser(demo: Demo) -> None:
    from playwright.sync_api import sync_playwright

    shared = _run(
        demo.root,
        "trust-share",
        "--to",
        "buyer@globex.example",
        "--expires",
        "7d",
        "--nda-accepted",
        "--base-url",
        BASE,
    )
    assert shared.code == 0, shared.stderr
    token = shared.stdout.strip().split("token=", 1)[1]
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    pages = [*_html_pages(demo.site), *(out / "trust.html" for out in demo.levels.values())]
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
            env={**os.environ, "HOME": str(demo.root)},
        )
        for name, width in (("desktop", 1280), ("phone", 390)):
            page = browser.new_page(viewport={"width": width, "height": 844})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on(
                "request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url)
            )
            for path in pages:
                page.goto(path.as_uri())
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{path.relative_to(demo.root)} at {width}px: {overflow}px too wide"
            page.goto((demo.site / "index.html").as_uri())
            page.screenshot(path=str(ARTIFACTS / f"trust-site-{name}.png"), full_page=True)
            # The page a share link opens checks it in the browser and lists what it grants.
            page.goto((demo.site / "documents" / "index.html").as_uri() + f"?token={token}")
            page.wait_for_selector("#result.valid")
            assert "Valid: signed by Acme" in page.inner_text("#result")
            links = page.eval_on_selector_all("#files a", "els => els.map(e => e.getAttribute('href'))")
            assert f"pen-test-2026.md?token={token}" in links and len(links) == 2
            page.screenshot(path=str(ARTIFACTS / f"trust-site-access-{name}.png"), full_page=True)
            page.close()
        browser.close()
    assert problems == []
