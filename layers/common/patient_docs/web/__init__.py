"""The patient response page: one HTML document with its style and script inline (CSP-hashed)."""
