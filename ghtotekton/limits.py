"""Limits on what is read into memory, shared by every loader.

They are module-level so the CLI's global options (``--max-file-size``) can set them once.
"""

from __future__ import annotations

MAX_FILE_BYTES: int = 10 * 1024 * 1024
"""Largest YAML file (workflow, action, compose) we read; the largest real workflow is ~200 KB."""

MAX_YAML_NODES: int = 1_000_000
"""Nodes after alias expansion; a billion-laughs document hits this long before memory does."""

MAX_YAML_DEPTH: int = 200
"""Nesting depth of a YAML document; real workflows stay under 20."""
