"""One resolver factory per door: each maps domain errors to that door's error format."""
