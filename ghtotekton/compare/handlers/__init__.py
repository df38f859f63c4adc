"""One handler per file type, each with its own notion of "the same"."""
