"""The framework and certification ids trustctl knows, and the certifications' names, spelled once.

A framework is a catalog of requirements (frameworks/catalogs/<id>.yaml); a certification is what an
organization holds or pursues ([certifications] in trustctl.toml, the roadmap, the trust report), each
measured against one framework. HIPAA and FERPA have no certificate: "held" means the attestation or
vendor-obligations work is done. This module imports nothing of trustctl's, so config can use it.
"""

from __future__ import annotations

FRAMEWORK_IDS = ("soc2", "soc3", "iso27001_2022", "hipaa_security", "ferpa")

# In the order every listing uses (config, costs, roadmap).
CERTIFICATION_IDS = ("soc2_type1", "soc2_type2", "soc3", "iso27001", "hipaa", "ferpa")

# The framework catalog each certification is measured against.
CERTIFICATION_FRAMEWORKS = {
    "soc2_type1": "soc2",
    "soc2_type2": "soc2",
    "soc3": "soc3",
    "iso27001": "iso27001_2022",
    "hipaa": "hipaa_security",
    "ferpa": "ferpa",
}

# framework id -> the certifications measured against it.
FRAMEWORK_CERTIFICATIONS = {
    framework: tuple(c for c in CERTIFICATION_IDS if CERTIFICATION_FRAMEWORKS[c] == framework)
    for framework in FRAMEWORK_IDS
}

# A held certification as the trust report names it to a buyer.
CERTIFICATION_NAMES = {
    "soc2_type1": "SOC 2 Type I",
    "soc2_type2": "SOC 2 Type II",
    "soc3": "SOC 3",
    "iso27001": "ISO/IEC 27001:2022",
    "hipaa": "HIPAA Security Rule",
    "ferpa": "FERPA",
}

# As the roadmap names a certification to pursue: for HIPAA and FERPA, what the work is.
ROADMAP_NAMES = {
    **CERTIFICATION_NAMES,
    "hipaa": "HIPAA (Security Rule attestation)",
    "ferpa": "FERPA (vendor obligations)",
}

# The event populations an audit packet exports (trustctl/packet/populations.py builds them; the request
# lists in trustctl/packet/requests/ and `[packet] requests` refer to them by these ids).
POPULATION_IDS = (
    "new_hires",
    "leavers",
    "access_grants",
    "access_removals",
    "changes",
    "access_reviews",
    "incidents",
    "backups",
    "restore_tests",
    "document_approvals",
)
