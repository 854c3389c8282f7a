"""Normalizers (pure): one complete run's raw evidence -> facts, one pandas row per resource."""
