"""Resident file intake: reading, validating, chunking and loading resident files."""
