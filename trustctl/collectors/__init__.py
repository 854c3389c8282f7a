"""Collectors: thin, read-only adapters that turn API responses into evidence (I/O only)."""
