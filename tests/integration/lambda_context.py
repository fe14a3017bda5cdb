"""A Lambda context stand-in for calling handlers in tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FakeContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:ap-northeast-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/26/[$LATEST]test"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000
