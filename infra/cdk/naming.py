"""Construct ids derived from topology names, so a resource's id never drifts from its name."""

from __future__ import annotations


def pascal(name: str) -> str:
    """``upload_events`` → ``UploadEvents``."""
    return "".join(part.capitalize() for part in name.split("_"))
