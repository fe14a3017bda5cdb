"""Choices made once for every AWS resource this app builds.

The Lambda architecture and the pip platform tag of the dependencies layer are derived from one
constant, so the layer's compiled wheels (pydantic-core, wrapt) always match the functions.
Values here are deployment choices, not part of the system's topology.
"""

from __future__ import annotations

from aws_cdk import Duration, aws_apigateway, aws_lambda, aws_logs

ARCHITECTURE = aws_lambda.Architecture.ARM_64
RUNTIME = aws_lambda.Runtime.PYTHON_3_12
# Python version and wheel platform for `pip install --platform`; must match RUNTIME/ARCHITECTURE.
LAMBDA_PYTHON_VERSION = "3.12"
PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
PIP_PLATFORM = PIP_PLATFORMS[ARCHITECTURE.name]

SERVICE_NAME = "victim-support"
METRICS_NAMESPACE = "VictimSupport"
DEFAULT_REGION = "ap-northeast-1"

LOG_RETENTION = aws_logs.RetentionDays.SIX_MONTHS
# S3 server access logs (no personal data, but requests name object keys): kept for a year.
ACCESS_LOG_EXPIRY = Duration.days(365)

# API Gateway stage: municipal staff portals are low-volume; these cap abuse, not normal use.
API_STAGE = "v1"
API_THROTTLE_RATE = 50
API_THROTTLE_BURST = 100


def api_stage_options(access_logs: aws_logs.ILogGroup) -> aws_apigateway.StageOptions:
    """Every REST API's stage: JSON access logs, execution logs for errors only and never the data
    (request and response bodies carry personal data, card certificates and nonces), X-Ray, throttling."""
    return aws_apigateway.StageOptions(
        stage_name=API_STAGE,
        access_log_destination=aws_apigateway.LogGroupLogDestination(access_logs),
        access_log_format=aws_apigateway.AccessLogFormat.json_with_standard_fields(
            caller=False, http_method=True, ip=True, protocol=True, request_time=True,
            resource_path=True, response_length=True, status=True, user=True,
        ),
        logging_level=aws_apigateway.MethodLoggingLevel.ERROR,
        data_trace_enabled=False,
        metrics_enabled=True,
        tracing_enabled=True,
        throttling_rate_limit=API_THROTTLE_RATE,
        throttling_burst_limit=API_THROTTLE_BURST,
    )

# Minimum Cognito password length for staff accounts (they see residents' personal data).
PASSWORD_MIN_LENGTH = 14
