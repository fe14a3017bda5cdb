"""The small topology the local-stack tests run: every kind of resource, routes and queue triggers."""

from __future__ import annotations

from infra.topology import (
    Bucket,
    BucketNotification,
    Function,
    Key,
    Queue,
    QueueTrigger,
    Route,
    Table,
    Topology,
)

MODULE = "tests.integration.local.handlers"

TEST_TOPOLOGY = Topology(
    keys=(Key("data", "test data key"),),
    tables=(
        Table("things", "things by municipality", ttl_attribute="expires_at"),
        Table("flat", "a table without a sort key", partition_key="id", sort_key=None,
              point_in_time_recovery=False),
    ),
    queues=(
        Queue("work", "work items", visibility_timeout_s=5, max_receive_count=3),
        Queue("inbox_events", "S3 notifications of the inbox", visibility_timeout_s=5),
    ),
    buckets=(
        Bucket("inbox", "uploads land here", notifications=(BucketNotification("inbox_events"),),
               expire_days=7, cors_put=True),
    ),
    functions=(
        Function("echo", f"{MODULE}.echo", "echoes the proxy event", memory_mb=256, timeout_s=10),
        Function("resolver", f"{MODULE}.resolver", "a Powertools REST resolver"),
        Function("boom", f"{MODULE}.boom", "always raises"),
        Function("worker", f"{MODULE}.worker", "processes work items", timeout_s=20,
                 triggers=(QueueTrigger("work", batch_size=5),)),
        Function("notified", f"{MODULE}.notified", "receives S3 notifications",
                 triggers=(QueueTrigger("inbox_events"),)),
    ),
    routes=(
        Route("GET", "/echo/{item_id}", "echo"),
        Route("POST", "/echo/{item_id}", "echo"),
        Route("GET", "/echo/special", "echo", authorizer="operator"),
        Route("GET", "/things/{thing_id}", "resolver"),
        Route("GET", "/things/{thing_id}/blob", "resolver"),
        Route("GET", "/boom", "boom"),
    ),
)
