"""The REST API for municipal staff and the operator."""
