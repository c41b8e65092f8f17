"""A command's field units (a SAMAPTA patrol, a RESKRIM team...) and their members."""
