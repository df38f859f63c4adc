"""The Tekton releases whose own code judged our output (``tests/oracle/go.mod``).

The migration report names them as what the output was checked with; a test keeps these
strings equal to the versions the oracle module requires, so they cannot drift apart.
"""

from __future__ import annotations

from typing import Final

PIPELINES: Final = "v1.15.1"
"""github.com/tektoncd/pipeline, as required by tests/oracle/go.mod."""
TRIGGERS: Final = "v0.37.0"
"""github.com/tektoncd/triggers, as required by tests/oracle/go.mod."""
AUTO_CLEANUP_SINCE: Final = "v1.11"
"""The first Pipelines release that deletes a run's claims (``tekton.dev/auto-cleanup-pvc``)."""
