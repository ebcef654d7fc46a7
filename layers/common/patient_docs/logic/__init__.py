"""One module per use case. No event shapes here: callers pass domain values."""
