"""One repository written to a temp folder, converted, and its output read back: what most
conversion tests start from (the files for the oracle, the Pipeline, a Task, the findings)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ghtotekton.convert.engine import Options, Result, convert_paths
from tests import oracle


@dataclass
class Converted:
    result: Result
    out: Path
    """The output written to disk (without the README), for ``tekton-oracle``."""

    def documents(self, kind: str) -> dict[str, dict[str, Any]]:
        """The output's documents of one kind, by name."""
        return {
            d["metadata"]["name"]: d
            for rel, text in self.result.files.items()
            if rel.endswith(".yaml")
            for d in yaml.safe_load_all(text)
            if isinstance(d, dict) and d.get("kind") == kind
        }

    def pipeline(self, name: str) -> dict[str, Any]:
        return self.documents("Pipeline")[name]

    def task(self, name: str) -> dict[str, Any]:
        return self.documents("Task")[name]

    def messages(self) -> list[str]:
        """Every job finding's message, and ``label: status`` of every step."""
        jobs = [j for w in self.result.report["workflows"] for j in w["jobs"]]
        return [f["message"] for j in jobs for f in j["findings"]] + [
            f"{s['label']}: {s['status']}" for j in jobs for s in j["steps"]
        ]


def convert_repo(
    tmp_path: Path, files: dict[str, str], options: Options | None = None
) -> Converted:
    """Write ``files`` (relative path -> text) as a repository and convert it."""
    repo = tmp_path / "repo"
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    result = convert_paths([repo], options or Options())
    out = oracle.write_files(
        {k: v for k, v in result.files.items() if k != "README"}, tmp_path / "out"
    )
    return Converted(result, out)
