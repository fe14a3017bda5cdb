"""The municipality registry (tenants)."""
