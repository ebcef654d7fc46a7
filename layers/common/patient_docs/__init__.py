"""patient-docs: the shared package every function imports (deployed as a layer)."""
