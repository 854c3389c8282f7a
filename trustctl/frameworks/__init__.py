"""Frameworks as data: catalogs of requirements that reference common controls and document kinds."""
