"""The embedded sample company: a local moto server seeded with a small AWS organization."""
