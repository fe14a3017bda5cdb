"""Residents as the municipality's resident system sent them, by generation."""
