"""Policy-document reading: wildcard grants and full admin."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from trustctl.facts.iam_policy import document, grants_full_admin, is_admin_policy_arn, wildcard_grants


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.mark.parametrize(
    ("policy", "wildcards", "admin"),
    [
        (doc({"Effect": "Allow", "Action": "*", "Resource": "*"}), ["*"], True),
        (doc({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}), [], True),
        (doc({"Effect": "Allow", "Action": ["s3:*", "ec2:Describe*"], "Resource": "*"}), ["s3:*"], False),
        (doc({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}), [], False),
        (doc({"Effect": "Deny", "Action": "*", "Resource": "*"}), [], False),
        (doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}), ["NotAction iam:*"], False),
        ({"Statement": {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}}, ["kms:*"], False),
        ({}, [], False),
    ],
)
def test_wildcards_and_admin(policy: dict[str, Any], wildcards: list[str], admin: bool) -> None:
    assert wildcard_grants(policy) == wildcards
    assert grants_full_admin(policy) is admin


def test_documents_arrive_in_three_shapes() -> None:
    d = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    assert document(d) == d
    assert document(json.dumps(d)) == d
    assert document(quote(json.dumps(d))) == d
    assert document("not json") == {}


def test_admin_policy_arn() -> None:
    assert is_admin_policy_arn("arn:aws:iam::aws:policy/AdministratorAccess")
    assert is_admin_policy_arn("arn:aws-us-gov:iam::aws:policy/AdministratorAccess")
    assert not is_admin_policy_arn("arn:aws:iam::123456789012:policy/AdministratorAccess")
