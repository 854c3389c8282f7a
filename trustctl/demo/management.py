"""Acme's management words for the demo: the [system] description inputs and narratives for a handful of
controls (TOML appended to the demo's trustctl.toml), and two responses to findings the demo seeds. All
of it is the fictional Acme's own text, written for the demo; the packet shows it as management's draft."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoResponse:
    """A management response the demo gives with `pipeline.respond_to_exception`."""

    check: str
    resource: str  # a resource or a pattern, as `trustctl exception respond` takes it
    text: str
    owner: str


def demo_system_config() -> str:
    """The [system] block and [controls.ID] narratives of the demo company, as TOML."""
    return """
# Management's inputs to the system description, and how some controls operate (shown as drafts).
[system]
name = "Acme Platform"
services = [
  { name = "Acme API", description = "The multi-tenant API enterprise customers integrate with." },
  { name = "Acme Console", description = "The web application customers' staff sign in to." },
]
boundaries = { in_scope = "The production and data AWS accounts, the GCP analytics projects, the identity systems and the staff who operate them.", out_of_scope = "Customers' own integrations and devices; the sales CRM." }
infrastructure = [
  { name = "AWS (eu-west-1, us-east-1)", description = "Compute, storage and databases for the API and console." },
  { name = "GCP (europe-west1)", description = "Analytics projects fed from the production databases." },
]
people = [
  { name = "Platform team", description = "Operates production; on call around the clock." },
  { name = "Security team", description = "Owns the security program, access reviews and incident response." },
]
data = [
  { name = "Customer records", description = "Accounts and the records customers store.", stored_in = ["AWS RDS and S3 (eu-west-1)"] },
  { name = "Analytics extracts", stored_in = ["GCP BigQuery (europe-west1)"] },
]

[[system.subservice_organizations]]
name = "Amazon Web Services"
purpose = "Hosting: compute, storage, databases, key management"
location = "eu-west-1, us-east-1"
method = "carve-out"
controls = ["Physical and environmental security of the data centres", "Hardware disposal"]

[[system.subservice_organizations]]
name = "Google Cloud"
purpose = "Analytics hosting"
location = "europe-west1"
method = "carve-out"
controls = ["Physical and environmental security of the data centres"]

[[system.cuecs]]
id = "CUEC-1"
text = "Customers remove their own users' access to the Acme Console when those users leave."
controls = ["AC-02"]

[[system.cuecs]]
id = "CUEC-2"
text = "Customers keep their API keys secret and rotate them when staff with access leave."
controls = ["AC-03"]

[controls.AC-02]
narrative = "Console access to AWS is through IAM Identity Center with MFA enforced by the IdP; the security team reviews the report of users without MFA weekly."
owner = "security@acme.example"

[controls.AC-04]
narrative = "Every AWS account's password policy is set by the account factory; changes are reviewed in the infrastructure repository."
owner = "platform@acme.example"

[controls.IAM-01]
narrative = "Administrator access is limited to the break-glass role and the organization access role; each use is alerted and reviewed within 24 hours."
owner = "security@acme.example"

[controls.GOV-01]
narrative = "The information security policy is approved by the CEO and reviewed every year; staff acknowledge it on joining and yearly."
owner = "ciso@acme.example"

[controls.BCK-01]
narrative = "AWS Backup plans cover every production database with 35 days of retention; restores are tested each quarter."
owner = "platform@acme.example"
"""


# Two responses to findings the demo seeds: the organization access role whose waiver expired, and the
# console user without MFA.
DEMO_RESPONSES = (
    DemoResponse(
        "aws.iam.admin_access",
        "arn:aws:iam::*:role/OrganizationAccountAccessRole",
        "The account factory migration that retires this role slipped to next quarter; until then its use is "
        "alerted on and reviewed within 24 hours. The waiver will be renewed or the role removed.",
        "platform@acme.example",
    ),
    DemoResponse(
        "aws.iam.user_console_mfa",
        "arn:aws:iam::*:user/bob",
        "Bob's IAM user predates Identity Center; his console password is being removed and his access moved "
        "to Identity Center, where MFA is enforced.",
        "security@acme.example",
    ),
)
