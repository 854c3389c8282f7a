"""Reports: the CI gap report formats (table, json, junit, sarif, markdown) and the leaver chain."""
