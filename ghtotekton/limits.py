"""Limits on what is read into memory, shared by every loader.

They are module-level so the CLI's global options (``--max-file-size``) can set them once.
"""

from __future__ import annotations

MAX_FILE_BYTES: int = 10 * 1024 * 1024
"""Largest YAML file (workflow, action, compose) we read; the largest real workflow is ~200 KB."""

MAX_YAML_NODES: int = 250_000
"""Values after alias expansion; the largest real workflow has a few thousand, and a billion-laughs
document hits this in a fraction of a second."""

MAX_YAML_DEPTH: int = 200
"""Nesting depth of a YAML document; real workflows stay under 20."""
