"""Staff accounts: immutable municipality attribute, the two groups, strong passwords, TOTP MFA."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from victim_support import auth

from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_the_pool_carries_an_immutable_municipality_code(synthesized: Synthesized) -> None:
    synthesized.auth.has_resource_properties("AWS::Cognito::UserPool", {
        "Schema": Match.array_with([Match.object_like({
            "Name": auth.MUNICIPALITY_CLAIM.removeprefix("custom:"),
            "AttributeDataType": "String",
            "Mutable": False,
        })]),
    })


def test_staff_and_operator_groups_exist(synthesized: Synthesized) -> None:
    groups = synthesized.auth.find_resources("AWS::Cognito::UserPoolGroup")
    assert {g["Properties"]["GroupName"] for g in groups.values()} == {auth.STAFF_GROUP, auth.OPERATOR_GROUP}


def test_accounts_are_admin_created_with_strong_passwords_and_totp(synthesized: Synthesized) -> None:
    synthesized.auth.has_resource_properties("AWS::Cognito::UserPool", {
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "MfaConfiguration": "ON",
        "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
        "Policies": {"PasswordPolicy": Match.object_like({
            "MinimumLength": Match.any_value(),
            "RequireLowercase": True, "RequireUppercase": True,
            "RequireNumbers": True, "RequireSymbols": True,
        })},
        "UserPoolTier": "PLUS",
    })
    pool = next(iter(synthesized.auth.find_resources("AWS::Cognito::UserPool").values()))
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert pool["DeletionPolicy"] == "Retain"


def test_the_portal_client_cannot_write_the_municipality(synthesized: Synthesized) -> None:
    (client,) = synthesized.auth.find_resources("AWS::Cognito::UserPoolClient").values()
    assert auth.MUNICIPALITY_CLAIM not in client["Properties"].get("WriteAttributes", [])
    assert auth.MUNICIPALITY_CLAIM in client["Properties"]["ReadAttributes"]
