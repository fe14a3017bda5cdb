"""A topology queue: KMS-encrypted, TLS-only, with its dead-letter queue and an alarm on it."""

from __future__ import annotations

from aws_cdk import Duration, aws_cloudwatch, aws_kms, aws_sqs
from constructs import Construct

from infra import topology
from infra.cdk.naming import pascal


class EncryptedQueue(Construct):
    def __init__(self, scope: Construct, spec: topology.Queue, *, key: aws_kms.IKey) -> None:
        super().__init__(scope, pascal(spec.name))
        self.spec = spec
        fifo = True if spec.fifo else None  # FifoQueue: false is rejected by some tooling; omit it
        self.dead_letter = aws_sqs.Queue(
            self, "DeadLetter",
            encryption=aws_sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            fifo=fifo,
            retention_period=Duration.days(spec.dlq_retention_days),
        )
        self.queue = aws_sqs.Queue(
            self, "Queue",
            encryption=aws_sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            fifo=fifo,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            retention_period=Duration.days(spec.retention_days),
            dead_letter_queue=aws_sqs.DeadLetterQueue(
                queue=self.dead_letter, max_receive_count=spec.max_receive_count,
            ),
        )
        # A message in a DLQ is a resident file or chunk that failed every retry: someone must look.
        self.dead_letter_alarm = aws_cloudwatch.Alarm(
            self, "DeadLetterAlarm",
            alarm_description=f"Messages of {spec.name} failed {spec.max_receive_count} times "
                              f"and wait in {spec.dead_letter}",
            metric=self.dead_letter.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(1), statistic="Maximum",
            ),
            threshold=0,
            comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
        )
