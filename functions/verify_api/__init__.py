"""The public certificate verification API (no authorizer, no personal data)."""
