"""One module per CLI command; each exposes functions that return an exit code."""
