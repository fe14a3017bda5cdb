"""Upload intake: the S3-event worker (handler) and the chunk worker (chunks)."""
