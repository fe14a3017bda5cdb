"""Unit tests of the onboarding schedule, plan builder and CLI."""
