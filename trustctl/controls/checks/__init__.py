"""Checks grouped by provider and family; importing a module registers its checks."""
