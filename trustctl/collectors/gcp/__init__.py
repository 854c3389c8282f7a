"""GCP collectors: Cloud Asset Inventory live collection (`assets`) and export import (`exports`)."""
