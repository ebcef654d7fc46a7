"""What the doors speak: request and response bodies per dialect, and their error formats."""
