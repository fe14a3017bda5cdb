"""The CDK app: ``python -m infra.cdk.app`` synthesizes every stack into ``cdk.out/``.

No Docker and no npm CLI: assets are prepared by ``infra.cdk.bundling`` and the app is synthesized
in-process. Deployment settings come from CDK context (``-c`` with the CLI, or ``cdk.context.json``):
``account``/``region`` (default: environment-agnostic account, ``ap-northeast-1``),
``cors_origins`` (origins allowed to PUT presigned uploads, comma-separated, default ``*``) and
``prefix`` (stack name prefix), and for the kiosk API's mutual TLS ``kiosk_domain_name``,
``kiosk_certificate_arn`` and optionally ``kiosk_truststore_key`` / ``kiosk_truststore_version``
(``infra.cdk.stacks.kiosk``). The process exits non-zero when any cdk-nag (or CloudFormation
validate) finding is left unacknowledged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Stack, Tags

from infra import topology
from infra.cdk import defaults, nag, naming
from infra.cdk.stacks.auth import AuthStack
from infra.cdk.stacks.data import DataStack
from infra.cdk.stacks.kiosk import KioskStack
from infra.cdk.stacks.service import ServiceStack

# Feature flags this app relies on (no cdk.json: the app is run by Python directly).
FEATURE_FLAGS: dict[str, Any] = {
    "@aws-cdk/core:enablePartitionLiterals": True,
    "@aws-cdk/core:target-partitions": ["aws"],
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "@aws-cdk/aws-s3:createDefaultLoggingPolicy": True,
    "@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope": True,
    "@aws-cdk/aws-lambda:recognizeLayerVersion": True,
    "@aws-cdk/aws-lambda:recognizeVersionProps": True,
    "@aws-cdk/aws-apigateway:disableCloudWatchRole": True,
    "@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId": True,
    "@aws-cdk/aws-apigateway:requestValidatorUniqueId": True,
    # Raise on synth when a validation plugin (cdk-nag) reports a finding. "inmemory" makes CDK
    # throw (caught in synthesize) instead of only setting the jsii node process's exit code,
    # which Python would never see.
    "@aws-cdk/core:failSynthOnValidationErrors": True,
    "@aws-cdk/core:appMode": "inmemory",
}


@dataclass(frozen=True)
class VictimSupportApp:
    app: App
    data: DataStack
    auth: AuthStack
    service: ServiceStack
    kiosks: tuple[KioskStack, ...] = ()  # one REST API per topology RequestAuthorizer

    @property
    def stacks(self) -> tuple[Stack, ...]:
        return (self.data, self.auth, self.service, *self.kiosks)


def build(outdir: str | Path = "cdk.out", context: Mapping[str, Any] | None = None) -> VictimSupportApp:
    """Every stack of the system, built from the topology, with cdk-nag registered."""
    spec = topology.TOPOLOGY
    spec.validate()
    app = App(outdir=str(outdir), context={**FEATURE_FLAGS, **(context or {})})
    env = Environment(account=app.node.try_get_context("account"),
                      region=app.node.try_get_context("region") or defaults.DEFAULT_REGION)
    prefix = str(app.node.try_get_context("prefix") or "VictimSupport")
    origins = app.node.try_get_context("cors_origins") or ["*"]  # a list, or "a,b" from -c
    cors_origins: Sequence[str] = origins.split(",") if isinstance(origins, str) else list(origins)

    data = DataStack(app, f"{prefix}Data", spec=spec, cors_origins=cors_origins, env=env,
                     description="Victim support: KMS key, DynamoDB tables, SQS queues, S3 buckets")
    auth = AuthStack(app, f"{prefix}Auth", env=env,
                     description="Victim support: Cognito user pool for municipal staff")
    service = ServiceStack(app, f"{prefix}Service", spec=spec, data=data, auth=auth, env=env,
                           description="Victim support: Lambda functions and the staff REST API")
    kiosks = tuple(
        KioskStack(app, f"{prefix}{naming.pascal(a.name)}", spec=spec, authorizer=a, data=data, service=service,
                   env=env, description=f"Victim support: the {a.name} REST API and its Lambda authorizer")
        for a in spec.authorizers
    )
    Tags.of(app).add("service", defaults.SERVICE_NAME)
    nag.apply_checks(app)
    return VictimSupportApp(app, data, auth, service, kiosks)


def synthesize(built: VictimSupportApp) -> list[str]:
    """Synthesize; returns the unacknowledged cdk-nag findings (empty when the app is clean)."""
    outdir = Path(built.app.outdir)
    try:
        built.app.synth()
    except RuntimeError as error:  # jsii surfaces CDK's "ValidationFailed" as RuntimeError
        return nag.unacknowledged_findings(outdir) or [str(error)]
    return nag.unacknowledged_findings(outdir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.cdk.app", description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default="cdk.out", help="cloud assembly directory (default: cdk.out)")
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE",
                        help="CDK context value, e.g. -c account=123456789012 -c region=ap-northeast-1")
    args = parser.parse_args(argv)
    context = dict(item.split("=", 1) for item in args.context)
    findings = synthesize(build(args.outdir, context))
    if findings:
        print("synth failed: unacknowledged cdk-nag / template validation findings:", *findings,
              sep="\n  ", file=sys.stderr)
        return 1
    print(f"synthesized into {args.outdir}/ (cdk-nag AwsSolutions: clean)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
