"""The trust report: what sales can send a buyer, built from an allow-list of aggregates."""
