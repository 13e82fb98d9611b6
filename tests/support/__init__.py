"""Helpers shared by test packages that need more than the test database (e.g. a private server)."""
