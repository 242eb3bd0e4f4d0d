"""The FAQ-derived evaluation: eval set, scorer, naive baseline and report behind `rag eval`."""
