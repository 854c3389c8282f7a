"""Identity collectors: the HR roster and IdP exports (files), SCIM 2.0 apps (live, read-only)."""
