"""Business rules with no I/O: what is a valid name, type, id or date."""
