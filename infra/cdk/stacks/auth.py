"""AuthStack: the Cognito user pool of municipal staff and the operator."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack, aws_cognito
from constructs import Construct
from victim_support import auth

from infra.cdk import defaults

# "custom:municipality_code" is what API Gateway passes; Cognito declares it without the prefix.
MUNICIPALITY_ATTRIBUTE = auth.MUNICIPALITY_CLAIM.removeprefix("custom:")


class AuthStack(Stack):
    """Staff sign in here; the API's authorizer trusts only this pool.

    Accounts are created by the operator (no self sign-up). A user's municipality is an immutable
    custom attribute set at creation, so no one can move themselves into another municipality's data.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.user_pool = aws_cognito.UserPool(
            self, "StaffPool",
            self_sign_up_enabled=False,
            sign_in_aliases=aws_cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            standard_attributes=aws_cognito.StandardAttributes(
                email=aws_cognito.StandardAttribute(required=True, mutable=True),
            ),
            custom_attributes={
                # JIS municipal code: 5 digits, or 6 with the check digit.
                MUNICIPALITY_ATTRIBUTE: aws_cognito.StringAttribute(min_len=5, max_len=6, mutable=False),
            },
            password_policy=aws_cognito.PasswordPolicy(
                min_length=defaults.PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # TOTP only: SMS would need an SNS role and is weaker against SIM swap.
            mfa=aws_cognito.Mfa.REQUIRED,
            mfa_second_factor=aws_cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=aws_cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=aws_cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=aws_cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.groups = {
            name: aws_cognito.CfnUserPoolGroup(
                self, f"{name.capitalize()}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=description,
            )
            for name, description in (
                (auth.STAFF_GROUP, "Municipal staff: act on their own municipality only"),
                (auth.OPERATOR_GROUP, "System operator: registers municipalities"),
            )
        }
        # The staff portal: a public client (SPA), SRP only, no secret; it cannot write the
        # municipality attribute.
        self.portal_client = self.user_pool.add_client(
            "PortalClient",
            auth_flows=aws_cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            access_token_validity=Duration.minutes(60),
            id_token_validity=Duration.minutes(60),
            refresh_token_validity=Duration.hours(12),
            read_attributes=aws_cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True)
            .with_custom_attributes(MUNICIPALITY_ATTRIBUTE),
            write_attributes=aws_cognito.ClientAttributes().with_standard_attributes(email=True),
        )
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "PortalClientId", value=self.portal_client.user_pool_client_id)
