"""Constructs: one building block each (function, queue with its DLQ, data bucket)."""
