"""trustctl.toml: defaults, validation, and one clear line naming the file and key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trustctl.config import CertificationsConfig, load_config, parse_config, render_default_config
from trustctl.errors import ConfigError
from trustctl.ids import CERTIFICATION_IDS

SRC = Path("/p/trustctl.toml")


def test_init_template_is_valid_with_documented_defaults() -> None:
    config = parse_config(render_default_config('Acme "EU"'), SRC)
    assert config.organization.name == 'Acme "EU"'
    assert config.aws.regions is None and config.aws.org_role is None and config.aws.profile is None
    p = config.policy
    assert (p.max_access_key_age_days, p.max_unused_credential_days, p.min_password_length) == (90, 45, 14)
    assert p.allowed_regions == []
    assert config.locker_path == Path("/p/.trustctl/locker")
    assert config.digest.startswith("sha256:")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[organization]\nname = "A"\n[aws]\nregoins = ["eu-west-1"]\n',
            "/p/trustctl.toml: unknown key 'aws.regoins'",
        ),
        ('[organization]\nname = "A"\n[polcy]\n', "unknown key 'polcy'"),
        ("[aws]\n", "missing required key 'organization'"),
        ('[organization]\nname = "A"\n[aws]\nregions = ["EU-WEST"]\n', "invalid value for 'aws.regions.0'"),
        (
            '[organization]\nname = "A"\n[policy]\nmax_access_key_age_days = "ninety"\n',
            "invalid value for 'policy.max_access_key_age_days'",
        ),
        ('[organization\nname = "A"\n', "not valid TOML"),
        (
            '[organization]\nname = "A"\n[[waiver]]\ncheck = "aws.iam.admin_access"\nreason = "r"\nowner = "o"\n',
            "missing required key 'waiver.0.expires'",
        ),
    ],
)
def test_errors_name_the_file_and_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, SRC)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_waivers_match_globs() -> None:
    config = parse_config(
        '[organization]\nname = "A"\n[[waiver]]\ncheck = "aws.iam.*"\nresource = "arn:aws:iam::*:role/Break*"\n'
        'reason = "r"\nowner = "o"\nexpires = 2027-01-01\n',
        SRC,
    )
    [waiver] = config.waiver
    assert waiver.expires == date(2027, 1, 1)
    assert waiver.matches("aws.iam.admin_access", "arn:aws:iam::1:role/BreakGlass")
    assert not waiver.matches("aws.iam.admin_access", "arn:aws:iam::1:role/Deploy")


def test_missing_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not found.*trustctl init"):
        load_config(tmp_path / "trustctl.toml")


def test_certifications_are_the_one_list() -> None:
    """[certifications] keys, and the ids the init template lists, are trustctl.ids'."""
    assert tuple(CertificationsConfig.model_fields) == CERTIFICATION_IDS
    assert f"({', '.join(CERTIFICATION_IDS)})" in render_default_config("Acme")
    held = parse_config(
        render_default_config("Acme")
        + "ferpa = { issued = 2026-01-15 }\nsoc2_type1 = { issued = 2026-01-15 }\n",
        SRC,
    ).certifications.held()
    assert list(held) == ["soc2_type1", "ferpa"]  # in the one list's order
