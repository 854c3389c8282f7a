"""Identity evidence: the HR roster, IdP exports, and joining people across systems by email."""
